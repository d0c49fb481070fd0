// One Node.js Lambda worker process (the function's execution environment): the Node counterpart of
// worker.py, with the same protocol. Started by orderflow.runtime.lambdas as `node worker.js <fd>`;
// messages are JSON over the inherited socket <fd>, framed as Python's multiprocessing.connection
// frames them (a 4-byte big-endian signed length, -1 then an 8-byte length for large ones):
//
//   parent -> {"op": "init", "env", "cwd", "handler", "function_name", ...}
//   worker -> {"ok": true, "init_ms"} | {"ok": false, "error": {errorType, errorMessage, trace}}
//   parent -> {"op": "invoke", "request_id", "event", "deadline_ms"}
//   worker -> {"ok": true, "payload"} | {"ok": false, "error": {errorType, errorMessage, trace}}
//
// At init the process takes on exactly the function's environment variables and folder, then loads
// the handler as Lambda's Node runtime does (`dir/file.export`, CommonJS or ES module). console.* lines
// are written as the runtime writes them: `<time>\t<request id>\t<LEVEL>\t<message>`, newlines inside
// a message turned into \r (one log event per call). Errors are shaped as the runtime reports them.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
"use strict";

const fs = require("fs");
const net = require("net");
const path = require("path");
const util = require("util");
const { pathToFileURL } = require("url");

let currentRequestId;

// ------------------------------------------------------------------------------------- protocol

const socket = new net.Socket({ fd: Number(process.argv[2]), readable: true, writable: true });
let buffered = Buffer.alloc(0);
const inbox = [];
const waiting = [];
let closed = false;

function deliver(message) {
  const next = waiting.shift();
  if (next) next(message);
  else inbox.push(message);
}

socket.on("data", (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  for (;;) {
    if (buffered.length < 4) return;
    let size = buffered.readInt32BE(0);
    let offset = 4;
    if (size === -1) {
      if (buffered.length < 12) return;
      size = Number(buffered.readBigUInt64BE(4));
      offset = 12;
    }
    if (buffered.length < offset + size) return;
    const body = buffered.subarray(offset, offset + size);
    buffered = buffered.subarray(offset + size);
    deliver(JSON.parse(body.toString("utf8")));
  }
});
socket.on("end", () => {
  closed = true;
  while (waiting.length) waiting.shift()(null);
});
socket.on("error", () => process.exit(0));

function receive() {
  if (inbox.length) return Promise.resolve(inbox.shift());
  if (closed) return Promise.resolve(null);
  return new Promise((resolve) => waiting.push(resolve));
}

function send(message) {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  const header = Buffer.alloc(4);
  header.writeInt32BE(body.length, 0);
  return new Promise((resolve) => socket.write(Buffer.concat([header, body]), () => resolve()));
}

// -------------------------------------------------------------------------------------- logging

function writeLine(line) {
  fs.writeSync(1, line + "\n");
}

function patchConsole() {
  const levels = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const message = util.format(...args);
      writeLine(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}`.replace(/\n/g, "\r"));
    };
  }
}

function errorOf(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || "Error",
      errorMessage: error.message,
      trace: String(error.stack || "")
        .split("\n")
        .filter((line) => !line.includes(__filename)), // the function's frames, not the worker's
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function runtimeError(errorType, cause) {
  const error = errorOf(cause);
  return { errorType, errorMessage: `${error.errorType}: ${error.errorMessage}`, trace: error.trace };
}

function logError(label, error) {
  const body = JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, stack: error.trace });
  writeLine(`${new Date().toISOString()}\t${currentRequestId}\tERROR\t${label} \t${body}`.replace(/\n/g, "\r"));
}

function peakMemoryMb(fallback) {
  try {
    const match = /^VmHWM:\s+(\d+)/m.exec(fs.readFileSync("/proc/self/status", "ascii"));
    if (match) return Math.floor(Number(match[1]) / 1024);
  } catch (_) {
    // no /proc: the resource usage below
  }
  return Math.floor(fallback / 1024);
}

// -------------------------------------------------------------------------------------- handler

class InitError extends Error {
  constructor(error) {
    super(error.errorMessage);
    this.error = error;
  }
}

async function loadModule(root, name) {
  const base = path.resolve(root, name);
  for (const extension of [".js", ".mjs", ".cjs"]) {
    const file = base + extension;
    if (!fs.existsSync(file)) continue;
    if (extension === ".mjs") return import(pathToFileURL(file).href);
    try {
      return require(file);
    } catch (error) {
      if (error && (error.code === "ERR_REQUIRE_ESM" || error.code === "ERR_REQUIRE_ASYNC_MODULE")) {
        return import(pathToFileURL(file).href);
      }
      throw error;
    }
  }
  return require(name); // a package from NODE_PATH (layers, the SDK), or "Cannot find module"
}

async function loadHandler(spec, root) {
  const handlerString = path.basename(spec);
  const moduleRoot = spec.substring(0, spec.length - handlerString.length);
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match) {
    throw new InitError({ errorType: "Runtime.MalformedHandlerName", errorMessage: "Bad handler", trace: [] });
  }
  const [, moduleName, handlerPath] = match;
  let module;
  try {
    module = await loadModule(path.join(root, moduleRoot), moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw new InitError(runtimeError("Runtime.UserCodeSyntaxError", error));
    if (error && error.code === "MODULE_NOT_FOUND") {
      throw new InitError(runtimeError("Runtime.ImportModuleError", error));
    }
    throw new InitError(errorOf(error));
  }
  const handler = handlerPath.split(".").reduce((nested, key) => nested && nested[key], module);
  if (typeof handler !== "function") {
    throw new InitError({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${handlerString} is undefined or not exported`,
      trace: [],
    });
  }
  return handler;
}

function context(init, requestId, deadlineMs, settle) {
  return {
    functionName: init.function_name,
    functionVersion: init.function_version,
    invokedFunctionArn: init.invoked_function_arn,
    memoryLimitInMB: String(init.memory_limit_in_mb),
    awsRequestId: requestId,
    logGroupName: init.log_group_name,
    logStreamName: init.log_stream_name,
    identity: undefined,
    clientContext: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    // the legacy completion methods
    succeed: (result) => settle(null, result),
    fail: (error) => settle(error),
    done: (error, result) => settle(error, result),
  };
}

// Async handlers (or ones returning a promise) end with their promise; callback handlers (three
// parameters) with their callback. A plain function's return value is not the response: Lambda
// answers null once its event loop is empty.
function invokeHandler(handler, event, init, requestId, deadlineMs) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(result);
    };
    const result = handler(event, context(init, requestId, deadlineMs, settle), settle);
    if (result && typeof result.then === "function") result.then((value) => settle(null, value), settle);
    else if (handler.length < 3) settle(null, null);
  });
}

// ------------------------------------------------------------------------------------------ main

// ES modules do not read NODE_PATH; Lambda's runtime lets them import the SDK it ships (and layers'
// packages) all the same. A resolve hook does it here: a bare specifier ESM resolution does not find
// is resolved again from each NODE_PATH node_modules folder, ESM conditions and all.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-handler-esm
const ESM_HOOKS = `
import path from "node:path";
import { pathToFileURL } from "node:url";
const folders = FOLDERS;
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (!error || error.code !== "ERR_MODULE_NOT_FOUND" || /^([./]|[a-z]+:)/i.test(specifier)) throw error;
    for (const folder of folders) {
      const parentURL = pathToFileURL(path.join(path.dirname(folder), "_.mjs")).href;
      try {
        return await next(specifier, { ...context, parentURL });
      } catch (_) {
        // not in this folder
      }
    }
    throw error;
  }
}`;

function become(init) {
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, init.env);
  process.chdir(init.cwd);
  const Module = require("module");
  Module.Module._initPaths(); // the function's NODE_PATH (layers, the SDK) for require
  const folders = (process.env.NODE_PATH || "").split(path.delimiter).filter((f) => path.basename(f) === "node_modules");
  if (folders.length && typeof Module.register === "function") {
    const hooks = ESM_HOOKS.replace("FOLDERS", JSON.stringify(folders));
    Module.register("data:text/javascript," + encodeURIComponent(hooks));
  }
}

async function main() {
  const init = await receive();
  if (init === null) return 0; // never used
  become(init);
  patchConsole();
  process.on("uncaughtException", (error) => {
    logError("Uncaught Exception", errorOf(error));
    process.exit(129);
  });
  let started = process.hrtime.bigint();
  let handler;
  try {
    handler = await loadHandler(init.handler, init.cwd);
  } catch (error) {
    const payload = error instanceof InitError ? error.error : errorOf(error);
    logError("Uncaught Exception", payload);
    await send({ ok: false, error: payload });
    return 1;
  }
  let initMs = Number(process.hrtime.bigint() - started) / 1e6;
  send({ ok: true, init_ms: initMs });
  for (;;) {
    const message = await receive();
    if (message === null) return 0;
    const requestId = message.request_id;
    currentRequestId = requestId;
    writeLine(`START RequestId: ${requestId} Version: ${init.function_version}`);
    started = process.hrtime.bigint();
    let reply;
    try {
      const result = await invokeHandler(handler, message.event, init, requestId, message.deadline_ms);
      const text = JSON.stringify(result);
      reply = { ok: true, payload: text === undefined ? null : JSON.parse(text) };
    } catch (error) {
      const payload = errorOf(error);
      logError("Invoke Error", payload);
      reply = { ok: false, error: payload };
    }
    const duration = Number(process.hrtime.bigint() - started) / 1e6;
    writeLine(`END RequestId: ${requestId}`);
    let report =
      `REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\t` +
      `Billed Duration: ${Math.max(1, Math.ceil(duration))} ms\t` +
      `Memory Size: ${init.memory_limit_in_mb} MB\t` +
      `Max Memory Used: ${peakMemoryMb(process.resourceUsage().maxRSS)} MB`;
    if (initMs !== null) {
      report += `\tInit Duration: ${initMs.toFixed(2)} ms`;
      initMs = null;
    }
    writeLine(report);
    currentRequestId = undefined;
    send(reply);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    writeLine(String((error && error.stack) || error));
    process.exit(1);
  },
);
