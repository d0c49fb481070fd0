/* orderflow console: a small single-page app over the console's JSON API (/api/...).
   No framework, no CDN: the graph layout is dagre (vendor/dagre.min.js), drawn here as SVG. */
"use strict";

(function () {
  const TOKEN = document.querySelector('meta[name="console-token"]').content;
  const view = document.getElementById("view");
  const SVG = "http://www.w3.org/2000/svg";
  let timer = null; // the current view's refresh
  let overview = null;

  // ------------------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  async function api(path, options) {
    const response = await fetch(path, options);
    let body = null;
    try { body = await response.json(); } catch (e) { body = { message: response.statusText }; }
    if (!response.ok) throw new Error((body && body.message) || response.statusText);
    return body;
  }

  function showError(error) {
    const bar = document.getElementById("error");
    if (!error) { bar.hidden = true; return; }
    bar.textContent = String(error.message || error);
    bar.hidden = false;
  }

  function status(value) { return el("span", { class: "status " + (value || "") }, value || "-"); }

  function pretty(text) {
    if (text === null || text === undefined || text === "") return el("span", { class: "muted" }, "—");
    try { return el("pre", {}, JSON.stringify(JSON.parse(text), null, 2)); }
    catch (e) { return el("pre", {}, String(text)); }
  }

  // An error as a reader wants it: errorType and errorMessage first, the stack trace folded away and
  // shown as lines (a Lambda error's cause is JSON: {errorType, errorMessage, stackTrace}).
  function errorBox(error, cause) {
    const box = el("div", { class: "error-box" });
    let parsed = null;
    try { parsed = cause ? JSON.parse(cause) : null; } catch (e) { parsed = null; }
    if (parsed && typeof parsed === "object" && (parsed.errorType || parsed.errorMessage)) {
      box.append(el("div", { class: "error-text error-head" }, (parsed.errorType || error || "Error") + ": " + (parsed.errorMessage || "")));
      if (error && parsed.errorType && error !== parsed.errorType) box.append(el("div", { class: "muted" }, "caught as " + error));
      const trace = Array.isArray(parsed.stackTrace) ? parsed.stackTrace.join("") : (parsed.stackTrace || "");
      if (trace) box.append(el("details", { class: "stack-trace" }, el("summary", {}, "stack trace"), el("pre", {}, trace)));
      return box;
    }
    box.append(el("div", { class: "error-text error-head" }, (error || "Error") + (cause ? ": " : "")));
    if (cause) box.append(pretty(cause));
    return box;
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toISOString().replace("T", " ").replace("Z", "");
  }

  function duration(start, stop) {
    if (!start) return "";
    const ms = (stop ? new Date(stop) : new Date()) - new Date(start);
    return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(2) + " s";
  }

  function refresh(fn, ms) {
    clearInterval(timer);
    timer = setInterval(() => { if (!document.hidden) fn().catch(showError); }, ms);
  }

  function table(headers, rows, onclick) {
    return el("table", {},
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((row, i) => el("tr", onclick ? { class: "clickable", onclick: () => onclick(i) } : {},
        row.map((cell) => el("td", {}, cell))))));
  }

  // ---------------------------------------------------------------------------- executions

  const listState = { machine: null, status: "", tokens: [""], page: 0 };

  async function machinesView() {
    overview = overview || await api("/api/overview");
    if (!overview.machines.length) {
      view.replaceChildren(el("h1", {}, "Executions"), el("p", { class: "muted" }, "no state machines in this stack"));
      return;
    }
    if (!listState.machine || !overview.machines.some((m) => m.arn === listState.machine)) {
      listState.machine = overview.machines[0].arn;
    }
    const machineSelect = el("select", { id: "machine", onchange: (e) => { listState.machine = e.target.value; resetPages(); load(); } },
      overview.machines.map((m) => el("option", { value: m.arn, selected: m.arn === listState.machine }, m.name + " (" + (m.type || "STANDARD") + ")")));
    const statusSelect = el("select", { id: "status-filter", onchange: (e) => { listState.status = e.target.value; resetPages(); load(); } },
      ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map((s) => el("option", { value: s, selected: s === listState.status }, s || "any status")));
    const holder = el("div", { id: "executions" });
    const notice = el("p", { class: "muted", id: "notice" });
    const pager = el("div", { class: "pager" });
    view.replaceChildren(el("h1", {}, "Executions"), el("div", { class: "toolbar" }, machineSelect, statusSelect,
      el("a", { href: "#/start" }, el("button", {}, "Start execution"))), notice, holder, pager);

    function resetPages() { listState.tokens = [""]; listState.page = 0; }

    async function load() {
      const params = new URLSearchParams({ machine: listState.machine, limit: "25" });
      if (listState.status) params.set("status", listState.status);
      const token = listState.tokens[listState.page];
      if (token) params.set("next", token);
      const page = await api("/api/executions?" + params);
      notice.textContent = page.notice || "";
      listState.tokens[listState.page + 1] = page.next || null;
      holder.replaceChildren(table(["Name", "Status", "Last state", "Started", "Duration"], page.executions.map((e) => [
        el("a", { href: "#/execution/" + encodeURIComponent(e.executionArn), class: "execution-link", "data-name": e.name, "data-status": e.status }, e.name),
        status(e.status), el("span", { class: "last-state", "data-last-state": e.lastState || "" }, e.lastState || "—"),
        when(e.startDate), duration(e.startDate, e.stopDate),
      ])));
      if (!page.executions.length) holder.append(el("p", { class: "muted" }, "no executions"));
      pager.replaceChildren(
        el("button", { class: "plain", id: "prev-page", disabled: listState.page === 0, onclick: () => { listState.page -= 1; load().catch(showError); } }, "‹ newer"),
        el("span", { class: "muted" }, "page " + (listState.page + 1)),
        el("button", { class: "plain", id: "next-page", disabled: !page.next, onclick: () => { listState.page += 1; load().catch(showError); } }, "older ›"));
      showError(null);
    }
    await load();
    refresh(load, 2000);
  }

  // ----------------------------------------------------------------------------- execution

  const STATUS_CLASS = { succeeded: "succeeded", failed: "failed", caught: "caught", running: "running" };

  // The width of a label as the page draws it (canvas metrics, in the CSS font of that label): the
  // layout reserves room for the whole label, so none is cut at the graph's edge.
  const measureCanvas = document.createElement("canvas").getContext("2d");
  function textWidth(text, px, weight) {
    measureCanvas.font = (weight || "") + " " + px + "px " + getComputedStyle(document.body).fontFamily;
    return Math.ceil(measureCanvas.measureText(text).width);
  }

  // Widens an attached svg's viewBox to take in everything drawn (a label beyond the laid-out box
  // would otherwise be cut at the svg's edge), keeping one user unit per pixel.
  function fitToContent(root, margin) {
    const box = root.getBBox();
    const [x0, y0, w0, h0] = root.getAttribute("viewBox").split(" ").map(Number);
    const left = Math.min(x0, Math.floor(box.x - margin)), top = Math.min(y0, Math.floor(box.y - margin));
    const right = Math.max(x0 + w0, Math.ceil(box.x + box.width + margin));
    const bottom = Math.max(y0 + h0, Math.ceil(box.y + box.height + margin));
    root.setAttribute("viewBox", [left, top, right - left, bottom - top].join(" "));
    root.setAttribute("width", right - left);
    root.setAttribute("height", bottom - top);
  }

  function drawGraph(graph, outcome, onSelect, selected) {
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: "TB", nodesep: 30, ranksep: 40, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const group of graph.groups) g.setNode(group.id, { label: group.label, clusterLabelPos: "top", paddingTop: 18 });
    for (const node of graph.nodes) {
      const terminal = node.type === "Start" || node.type === "End";
      const join = node.type === "Join";
      const width = terminal || join ? 18 : Math.max(120, textWidth(node.name, 12) + 24, textWidth(node.type + " ↻", 10) + 24);
      g.setNode(node.id, { width: width, height: terminal || join ? 18 : 44, node: node });
      if (node.group) g.setParent(node.id, node.group);
    }
    for (const group of graph.groups) if (group.parent) g.setParent(group.id, group.parent);
    graph.edges.forEach((edge, i) => {
      if (edge.source === edge.target) return; // retries: drawn as a badge on the state
      g.setEdge(edge.source, edge.target, { label: edge.label, kind: edge.kind, width: edge.label ? textWidth(edge.label, 10) + 6 : 0, height: edge.label ? 14 : 0 }, "e" + i);
    });
    dagre.layout(g);
    const size = g.graph();
    const root = svg("svg", { viewBox: "0 0 " + Math.ceil(size.width) + " " + Math.ceil(size.height), width: Math.ceil(size.width), height: Math.ceil(size.height), role: "img", "aria-label": "state machine graph" });
    const defs = svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#879596" })));
    root.append(defs);
    for (const group of graph.groups) {
      const box = g.node(group.id);
      root.append(svg("g", { class: "group", "data-group": group.id },
        svg("rect", { x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height }),
        svg("text", { x: box.x - box.width / 2 + 6, y: box.y - box.height / 2 + 12 }, group.label)));
    }
    for (const e of g.edges()) {
      const edge = g.edge(e);
      const d = edge.points.map((p, i) => (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1)).join(" ");
      const item = svg("g", { class: "edge " + edge.kind, "data-kind": edge.kind },
        svg("path", { d: d, "marker-end": "url(#arrow)" }));
      if (edge.label) item.append(svg("text", { x: edge.x, y: edge.y, "text-anchor": "middle" }, edge.label));
      root.append(item);
    }
    const retries = {};
    for (const edge of graph.edges) if (edge.kind === "retry") (retries[edge.source] = retries[edge.source] || []).push(edge.label);
    for (const id of g.nodes()) {
      const box = g.node(id);
      if (!box.node) continue;
      const node = box.node;
      if (node.type === "Start" || node.type === "End") {
        root.append(svg("g", { class: "terminal", "data-node": node.id }, svg("circle", { cx: box.x, cy: box.y, r: 9 })));
        continue;
      }
      if (node.type === "Join") {
        root.append(svg("g", { class: "join", "data-node": node.id }, svg("circle", { cx: box.x, cy: box.y, r: 7 })));
        continue;
      }
      const result = outcome.states[node.name];
      const cls = result ? (STATUS_CLASS[result.status] || "succeeded") : "not-reached";
      const group = svg("g", {
        class: "state state-" + cls + (selected === node.name ? " selected" : ""),
        "data-state": node.name, "data-status": cls, "data-retries": result ? String(result.retries) : "0",
        onclick: () => onSelect(node.name),
      });
      const title = svg("title", {}, node.name + " (" + node.type + "): " + cls.replace("-", " ") +
        (result && result.retries ? ", retried " + result.retries + "×" : "") + (retries[node.id] ? "\n" + retries[node.id].join("\n") : ""));
      group.append(title,
        svg("rect", { x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height }),
        svg("text", { x: box.x, y: box.y - 1, "text-anchor": "middle" }, node.name),
        svg("text", { x: box.x, y: box.y + 13, "text-anchor": "middle", class: "kind" }, node.type + (retries[node.id] ? " ↻" : "")));
      if (result && result.retries) {
        const bx = box.x + box.width / 2 - 4, by = box.y - box.height / 2 + 4;
        group.append(svg("circle", { cx: bx, cy: by, r: 9, class: "badge" }),
          svg("text", { x: bx, y: by + 3.5, "text-anchor": "middle", class: "badge-text" }, "×" + result.retries));
      }
      root.append(group);
    }
    return root;
  }

  const logCache = new Map();

  // An attempt's Lambda invocation is named by its request id (from the history), never by time:
  // /api/logs answers that invocation's lines only. Answers are kept once complete (REPORT seen).
  async function attemptLogs(attempt) {
    const key = attempt.function + "|" + (attempt.requestId || "") + "|" + attempt.invoked;
    if (!logCache.has(key)) {
      const params = new URLSearchParams({ function: attempt.function });
      if (attempt.requestId) params.set("requestId", attempt.requestId);
      if (attempt.invoked !== null && attempt.invoked !== undefined) params.set("invoked", String(attempt.invoked));
      const answer = await api("/api/logs?" + params);
      if (!answer.complete) return answer;
      logCache.set(key, answer);
    }
    return logCache.get(key);
  }

  // When a state's last entry ended: its exit, else its last attempt's end, else the execution's stop.
  function stateEnd(result, execution) {
    if (result.exited_at) return result.exited_at;
    const last = result.attempts[result.attempts.length - 1];
    if (last && last.end) return last.end;
    return execution.stopDate || null;
  }

  function stateDetails(name, data) {
    const result = data.outcome.states[name];
    const node = data.graph && data.graph.nodes.find((n) => n.name === name);
    const box = el("div", { class: "card", id: "state-details", "data-state": name });
    box.append(el("h2", {}, name, " ", status(result ? result.status : "not reached")));
    if (!result) {
      box.append(el("p", { class: "muted" }, "not reached in this execution" + (node ? " (" + node.type + ")" : "")));
      return box;
    }
    box.append(el("dl", { class: "kv" },
      el("dt", {}, "type"), el("dd", {}, result.type || (node && node.type) || ""),
      el("dt", {}, "entered"), el("dd", {}, result.entered + "×, last at " + when(result.entered_at)),
      el("dt", {}, "duration"), el("dd", {}, duration(result.entered_at, stateEnd(result, data.execution))),
      el("dt", {}, "retries"), el("dd", {}, String(result.retries))));
    if (result.error || result.cause) {
      box.append(el("h2", {}, "Error"), el("div", { class: "state-error" }, errorBox(result.error, result.cause)));
    }
    box.append(el("h2", {}, "Input"), pretty(result.input), el("h2", {}, "Output"), pretty(result.output));
    if (result.attempts.length) {
      box.append(el("h2", {}, "Attempts"));
      box.append(table(["#", "status", "started", "took", "error"], result.attempts.map((a, i) => [
        // an attempt the execution's end cut short (ABORTED, TIMED_OUT) ends with it: no growing timer
        String(i + 1), status(a.end || data.execution.status === "RUNNING" ? a.status : "unfinished"), when(a.start),
        duration(a.start, a.end || data.execution.stopDate), a.error || "",
      ])));
      const logs = el("div", { class: "logs", id: "state-logs" });
      box.append(el("h2", {}, "Lambda log lines"), logs);
      result.attempts.forEach((attempt, i) => {
        const slot = el("div", { class: "attempt-logs" }, el("p", { class: "muted" }, "attempt " + (i + 1) + ": loading…"));
        logs.append(slot);
        if (!attempt.function) {
          slot.replaceChildren(el("p", { class: "muted" }, "attempt " + (i + 1) + ": no log lines (not a Lambda invocation)"));
          return;
        }
        // Lines reach CloudWatch Logs a moment after the invocation: an incomplete answer is asked again.
        const show = (tries) => attemptLogs(attempt).then((answer) => {
          const head = el("p", { class: "muted" }, "attempt " + (i + 1) + ": " + answer.group
            + (answer.requestId ? " (request " + answer.requestId + ")" : ""));
          const parts = [head];
          if (answer.lines.length) parts.push(el("pre", { class: "log-lines" }, answer.lines.map((l) => when(l.timestamp) + "  " + l.message).join("\n")));
          if (answer.notice || !answer.lines.length) parts.push(el("p", { class: "muted log-notice" }, answer.notice || "no log lines"));
          slot.replaceChildren(...parts);
          if (!answer.complete && tries > 0 && slot.isConnected) setTimeout(() => show(tries - 1), 1000);
        }).catch((error) => slot.replaceChildren(el("p", { class: "error-text" }, String(error.message || error))));
        show(5);
      });
    }
    return box;
  }

  async function executionView(arn) {
    let selected = null;
    let data = null;
    async function load() {
      data = await api("/api/execution?arn=" + encodeURIComponent(arn));
      render();
      showError(null);
      if (data.execution.status !== "RUNNING") clearInterval(timer);
    }
    function select(name) { selected = name; render(); }
    function render() {
      const e = data.execution;
      if (!selected) {
        const failed = Object.entries(data.outcome.states).find(([, s]) => s.status === "failed" || s.status === "caught");
        selected = failed ? failed[0] : null;
      }
      const graphBox = el("div", { class: "card", id: "graph", "data-execution": e.executionArn });
      const drawn = data.graph ? drawGraph(data.graph, data.outcome, select, selected) : null;
      if (drawn) graphBox.append(drawn);
      else graphBox.append(el("p", { class: "muted" }, "no graph: " + data.graphError));
      graphBox.append(el("div", { class: "legend" }, ["succeeded", "failed", "caught", "running", "not-reached"].map((s) => el("span", { class: "l-" + s }, s.replace("-", " ")))));
      const side = selected ? stateDetails(selected, data) : el("div", { class: "card muted", id: "state-details" }, "select a state");
      const events = table(["#", "type", "state", "elapsed ms", "details"], data.history.map((row) => [
        String(row.id), row.type, row.state, row.elapsed_ms === null ? "" : String(row.elapsed_ms),
        Object.keys(row.details).length ? el("pre", {}, JSON.stringify(row.details, null, 1)) : "",
      ]));
      events.id = "events";
      view.replaceChildren(
        el("p", {}, el("a", { href: "#/" }, "‹ executions")),
        el("h1", {}, e.name + " ", el("span", { id: "execution-status" }, status(e.status))),
        el("p", { class: "muted", id: "execution-notice", hidden: !data.notice }, data.notice || ""),
        el("p", { class: "muted" }, data.machine.name + " · started " + when(e.startDate) + " · " + (e.stopDate ? "took " + duration(e.startDate, e.stopDate) : "running for " + duration(e.startDate))),
        el("div", { class: "layout" }, graphBox, side),
        el("div", { class: "layout" },
          el("div", { class: "card" }, el("h2", {}, "Execution input"), pretty(e.input)),
          el("div", { class: "card" }, el("h2", {}, e.status === "FAILED" ? "Execution error" : "Execution output"),
            e.status === "FAILED" || e.error ? errorBox(e.error, e.cause) : pretty(e.output))),
        el("h2", {}, "Event history (" + data.history.length + ")"), events);
      if (drawn) fitToContent(drawn, 4);
    }
    await load();
    if (data.execution.status === "RUNNING") refresh(load, 1000);
  }

  // --------------------------------------------------------------------------------- start

  async function startView() {
    overview = overview || await api("/api/overview");
    const machine = el("select", { id: "start-machine" }, overview.machines.map((m) => el("option", { value: m.arn, selected: m.arn === listState.machine }, m.name)));
    const cases = el("select", { id: "start-test-case" });
    function fillCases() {
      const m = overview.machines.find((x) => x.arn === machine.value);
      const names = (m && overview.testCases[m.name]) || [];
      cases.replaceChildren(el("option", { value: "" }, names.length ? "(none: run for real)" : "(no mock config loaded)"), ...names.map((n) => el("option", { value: n }, n)));
      cases.disabled = !names.length;
    }
    const input = el("textarea", { id: "start-input", spellcheck: "false" });
    input.value = "{}";
    const proposed = el("p", { class: "muted", id: "start-proposed" });
    // Propose the input of the machine's latest execution (until the user edits it).
    let edited = false;
    input.addEventListener("input", () => { edited = true; });
    async function proposeInput() {
      const last = await api("/api/last-input?machine=" + encodeURIComponent(machine.value));
      if (edited) return;
      input.value = last.input ? JSON.stringify(JSON.parse(last.input), null, 2) : "{}";
      proposed.textContent = last.from ? "input of the latest execution, " + last.from : "";
    }
    machine.addEventListener("change", () => { fillCases(); edited = false; proposeInput().catch(showError); });
    fillCases();
    proposeInput().catch(showError);
    const name = el("input", { id: "start-name", placeholder: "optional: a unique name" });
    const result = el("div", { id: "start-result" });
    const form = el("form", { class: "card", onsubmit: async (event) => {
      event.preventDefault();
      result.replaceChildren();
      try { JSON.parse(input.value); } catch (e) { result.replaceChildren(el("p", { class: "error-text" }, "the input is not JSON: " + e.message)); return; }
      try {
        const started = await api("/api/start", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Console-Token": TOKEN },
          body: JSON.stringify({ machine: machine.value, input: input.value, name: name.value, testCase: cases.value }),
        });
        location.hash = "#/execution/" + encodeURIComponent(started.executionArn);
      } catch (e) { result.replaceChildren(el("p", { class: "error-text" }, e.message)); }
    } },
    el("label", { for: "start-machine" }, "State machine"), machine,
    el("label", { for: "start-name" }, "Name"), name,
    el("label", { for: "start-test-case" }, "Mock test case (#TestCase)"), cases,
    el("label", { for: "start-input" }, "Input (JSON)"), proposed, input,
    el("p", {}, el("button", { type: "submit", id: "start-submit" }, "Start execution")), result);
    view.replaceChildren(el("h1", {}, "Start an execution"), form);
  }

  // ------------------------------------------------------------------------- other views

  async function resourcesView() {
    const data = await api("/api/resources");
    view.replaceChildren(el("h1", {}, "Stack " + data.stack), table(["Logical id", "Type", "Physical id", "Status"],
      data.resources.map((r) => [r.logicalId, r.type, el("code", {}, r.physicalId || ""), r.status || ""])));
  }

  async function tablesView() {
    const data = await api("/api/tables");
    const items = el("div", { id: "items" });
    view.replaceChildren(el("h1", {}, "DynamoDB tables"), table(["Table", "Keys", "Items"],
      data.tables.map((t) => [t.name, t.keys.join(", "), String(t.itemCount)]), (i) => showItems(data.tables[i].name, [""], 0)), items);
    async function showItems(name, tokens, page) {
      const params = new URLSearchParams({ table: name, limit: "25" });
      if (tokens[page]) params.set("next", tokens[page]);
      const answer = await api("/api/items?" + params);
      tokens[page + 1] = answer.next;
      const columns = [...new Set(answer.items.flatMap((item) => Object.keys(item)))].slice(0, 12);
      items.replaceChildren(el("h2", {}, name),
        answer.items.length ? table(columns, answer.items.map((item) => columns.map((c) => c in item ? (typeof item[c] === "object" ? JSON.stringify(item[c]) : String(item[c])) : ""))) : el("p", { class: "muted" }, "no items"),
        el("div", { class: "pager" },
          el("button", { class: "plain", disabled: page === 0, onclick: () => showItems(name, tokens, page - 1).catch(showError) }, "‹ previous"),
          el("span", { class: "muted" }, "page " + (page + 1)),
          el("button", { class: "plain", disabled: !answer.next, onclick: () => showItems(name, tokens, page + 1).catch(showError) }, "next ›")));
    }
  }

  async function queuesView() {
    const messages = el("div", { id: "messages" });
    let shown = null;
    async function load() {
      const data = await api("/api/queues");
      const list = table(["Queue", "Available", "In flight", "Delayed"],
        data.queues.map((q) => [q.name, String(q.depth), String(q.inFlight), String(q.delayed)]), (i) => { shown = data.queues[i].name; peek().catch(showError); });
      view.replaceChildren(el("h1", {}, "SQS queues"), el("p", { class: "muted" }, "Peeking reads the embedded queue without receiving: receive counts and visibility stay as they are."), list, messages);
      if (shown) await peek();
    }
    async function peek() {
      const answer = await api("/api/messages?queue=" + encodeURIComponent(shown));
      messages.replaceChildren(el("h2", {}, shown + " (" + answer.messages.length + " shown)"),
        answer.messages.length ? table(["Message id", "Sent", "Receives", "Visible", "Body"], answer.messages.map((m) => [
          m.messageId, m.sentAt ? when(new Date(m.sentAt).toISOString()) : "", String(m.receiveCount), m.visible ? "yes" : "in flight", pretty(m.body)])) : el("p", { class: "muted" }, answer.notice || "no messages"));
    }
    await load();
    refresh(load, 3000);
  }

  async function outboxView() {
    const data = await api("/api/outbox");
    view.replaceChildren(el("h1", {}, "Outbox (" + data.mails.length + " mails)"),
      data.mails.length ? table(["Time", "From", "To", "Subject", "Body"], data.mails.map((m) => [when(m.time), m.from || "", m.to || "", m.subject || "", el("pre", {}, m.body || "")])) : el("p", { class: "muted" }, data.notice || "no mails"));
  }

  async function alarmsView() {
    async function load() {
      const data = await api("/api/alarms");
      view.replaceChildren(el("h1", {}, "Alarms"),
        data.alarms.length ? table(["Alarm", "State", "Metric", "Since", "Reason"], data.alarms.map((a) => [a.name, status(a.state), a.metric, when(a.updated), a.reason || ""])) : el("p", { class: "muted" }, "no alarms"));
    }
    await load();
    refresh(load, 5000);
  }

  // ---------------------------------------------------------------------------- dashboards

  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const ROW_PX = 46; // one grid row of a dashboard, as CloudWatch draws it (roughly)

  function number(v) {
    if (Math.abs(v) >= 1000) return v.toFixed(0);
    return Number.isInteger(v) ? String(v) : v.toPrecision(3);
  }

  // A tiny line chart: one polyline per series over the widget's time window, y from 0 (or the minimum).
  function lineChart(widget) {
    const W = 600, H = 220, L = 44, R = 8, T = 8, B = 22;
    const drawn = widget.series.filter((s) => s.points.length);
    const values = drawn.flatMap((s) => s.points.map((p) => p[1]));
    let low = Math.min(0, ...values), high = Math.max(1, ...values);
    if (high === low) high = low + 1;
    const x = (t) => L + (t - widget.start) / (widget.end - widget.start) * (W - L - R);
    const y = (v) => T + (1 - (v - low) / (high - low)) * (H - T - B);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", class: "chart", role: "img", "aria-label": widget.title || "metric chart" });
    for (const v of [low, (low + high) / 2, high]) {
      root.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }),
        svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" }, number(v)));
    }
    for (const t of [widget.start, widget.end]) {
      root.append(svg("text", { x: x(t), y: H - 6, "text-anchor": t === widget.start ? "start" : "end", class: "axis" }, new Date(t * 1000).toISOString().slice(11, 16)));
    }
    widget.series.forEach((s, i) => {
      if (!s.points.length) return;
      const color = PALETTE[i % PALETTE.length];
      const pts = s.points.map((p) => x(p[0] + widget.period / 2).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
      root.append(svg("polyline", { points: pts, class: "series", stroke: color, "data-series": s.id }, svg("title", {}, s.label)));
      if (s.points.length === 1) root.append(svg("circle", { cx: x(s.points[0][0] + widget.period / 2), cy: y(s.points[0][1]), r: 3, fill: color }));
    });
    return root;
  }

  function textWidget(text) {
    // plain text, a line each; "#" headings shown bigger. Never parsed as HTML.
    return el("div", { class: "widget-text" }, text.split("\n").map((line) => {
      const heading = line.match(/^(#{1,6})\s+(.*)$/);
      return heading ? el("div", { class: "heading h" + heading[1].length }, heading[2]) : el("div", {}, line);
    }));
  }

  function widgetBox(widget) {
    const box = el("div", { class: "widget card", "data-type": widget.type, "data-supported": String(widget.supported) });
    box.style.gridColumn = (widget.x + 1) + " / span " + widget.width;
    box.style.gridRow = (widget.y + 1) + " / span " + widget.height;
    if (widget.title) box.append(el("h3", {}, widget.title));
    if (!widget.supported) {
      box.append(el("p", { class: "muted placeholder" }, widget.notice));
    } else if (widget.type === "text") {
      box.append(textWidget(widget.text));
    } else if (widget.type === "alarm") {
      box.append(el("ul", { class: "alarm-list" }, widget.alarms.map((a) => el("li", {},
        el("span", { class: "alarm-state status " + (a.state || ""), "data-state": a.state || "MISSING" }, a.state || "no such alarm"), " ",
        el("span", { title: a.reason || "" }, a.name)))));
    } else if (widget.type === "metric") {
      box.append(lineChart(widget));
      // the legend (and the widget's notices) take what the plot leaves; past that they scroll (app.css)
      box.append(el("div", { class: "series-legend" }, widget.series.map((s, i) => {
        const swatch = el("i", { class: "swatch" });
        swatch.style.background = PALETTE[i % PALETTE.length]; // CSSOM: allowed by the page's CSP
        const last = s.points.length ? s.points[s.points.length - 1][1] : null;
        return el("span", { title: s.expression || s.stat || "", "data-series": s.id, "data-last": last === null ? null : String(last) }, swatch, s.label + (s.notice ? " — " + s.notice : (s.points.length ? "" : " — no data")));
      }), widget.notices.map((notice) => el("span", { class: "muted notice" }, notice))));
    }
    return box;
  }

  async function dashboardsView(name) {
    const listed = await api("/api/dashboards");
    if (!listed.dashboards.length) {
      view.replaceChildren(el("h1", {}, "Dashboards"), el("p", { class: "muted" }, "no CloudWatch dashboards in this account"));
      return;
    }
    const current = name && listed.dashboards.some((d) => d.name === name) ? name : listed.dashboards[0].name;
    const minutes = el("select", { id: "dashboard-minutes", onchange: () => load().catch(showError) },
      [15, 60, 180, 720].map((m) => el("option", { value: String(m), selected: m === 60 }, "last " + (m < 60 ? m + " min" : m / 60 + " h"))));
    const picker = el("select", { id: "dashboard", onchange: (e) => { location.hash = "#/dashboards/" + encodeURIComponent(e.target.value); } },
      listed.dashboards.map((d) => el("option", { value: d.name, selected: d.name === current }, d.name)));
    const grid = el("div", { class: "dashboard-grid", id: "dashboard-grid", "data-dashboard": current });
    view.replaceChildren(el("h1", {}, "Dashboards"), el("div", { class: "toolbar" }, picker, minutes), grid);
    async function load() {
      const data = await api("/api/dashboard?" + new URLSearchParams({ name: current, minutes: minutes.value }));
      grid.style.gridTemplateColumns = "repeat(" + data.columns + ", minmax(0, 1fr))";
      grid.style.gridAutoRows = ROW_PX + "px";
      grid.replaceChildren(...data.widgets.map(widgetBox));
      showError(null);
    }
    await load();
    refresh(load, 5000);
  }

  // -------------------------------------------------------------------------------- router

  async function route() {
    clearInterval(timer);
    showError(null);
    const hash = location.hash || "#/";
    const [, page, ...rest] = hash.split("/");
    for (const link of document.querySelectorAll("header nav a")) {
      link.classList.toggle("active", link.dataset.nav === (page || "machines") || (!page && link.dataset.nav === "machines") || (page === "execution" && link.dataset.nav === "machines"));
    }
    try {
      if (page === "execution") await executionView(decodeURIComponent(rest.join("/")));
      else if (page === "start") await startView();
      else if (page === "resources") await resourcesView();
      else if (page === "tables") await tablesView();
      else if (page === "queues") await queuesView();
      else if (page === "outbox") await outboxView();
      else if (page === "alarms") await alarmsView();
      else if (page === "dashboards") await dashboardsView(rest.length ? decodeURIComponent(rest.join("/")) : null);
      else await machinesView();
    } catch (error) {
      showError(error);
    }
  }

  window.addEventListener("hashchange", route);
  api("/api/overview").then((data) => {
    overview = data;
    document.getElementById("stack").textContent = "stack " + data.stack + " · " + data.region;
  }).catch(showError).finally(route);
})();
