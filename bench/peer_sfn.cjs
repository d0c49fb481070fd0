// The in-process peer (npm aws-local-stepfunctions, installed by bench/peer_sfn.py into a cache dir)
// running the same definition with every Task mocked: node bench/peer_sfn.cjs <cache dir> <spec.json>
// spec: {definition, input, runs, warmup, mocks: {StateName: {Return: ...} | {Throw: {Error, Cause}}}}
// Prints {"version", "ms": [per execution, wall: run() -> result]} as JSON.
"use strict";
const path = require("path");
const fs = require("fs");
const { createRequire } = require("module");

// aws-local-stepfunctions 3 calls Promise.withResolvers (node >= 22); on an older node, the standard
// polyfill (what the spec defines: a promise and its two settling functions)
const polyfilled = typeof Promise.withResolvers !== "function";
if (polyfilled) {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((ok, fail) => { resolve = ok; reject = fail; });
    return { promise, resolve, reject };
  };
}

async function main() {
  const [cacheDir, specFile] = process.argv.slice(2);
  const load = createRequire(path.join(path.resolve(cacheDir), "package.json"));
  const { StateMachine } = load("aws-local-stepfunctions");
  const manifest = path.join(path.resolve(cacheDir), "node_modules", "aws-local-stepfunctions", "package.json");
  const version = JSON.parse(fs.readFileSync(manifest, "utf8")).version;
  const spec = JSON.parse(fs.readFileSync(specFile, "utf8"));
  const handlers = {};
  for (const [state, mock] of Object.entries(spec.mocks)) {
    handlers[state] = async () => {
      if (mock.Throw) {
        const error = new Error(mock.Throw.Cause || "");
        error.name = mock.Throw.Error;
        throw error;
      }
      return JSON.parse(JSON.stringify(mock.Return));
    };
  }
  const machine = new StateMachine(spec.definition, { validationOptions: { checkPaths: false, checkArn: false } });
  const ms = [];
  let last = null;
  for (let i = 0; i < spec.warmup + spec.runs; i++) {
    const t0 = process.hrtime.bigint();
    // the context object Step Functions gives an execution (the definition reads $$.Execution.Name)
    const name = `peer-${i}`;
    const context = {
      Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:peer:${name}`, Name: name,
        StartTime: new Date().toISOString(), Input: spec.input, RoleArn: "arn:aws:iam::123456789012:role/peer" },
      StateMachine: { Id: "arn:aws:states:us-east-1:123456789012:stateMachine:peer", Name: "peer" },
    };
    const execution = machine.run(spec.input, { overrides: { taskResourceLocalHandlers: handlers }, context });
    last = await execution.result;
    const took = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= spec.warmup) ms.push(took);
  }
  process.stdout.write(JSON.stringify({ version, node: process.version, polyfilled, ms, last }) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
