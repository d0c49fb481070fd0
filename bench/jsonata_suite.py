"""Run JSONata's public test suite (jsonata-js ``test/test-suite``) through a Python JSONata engine.

This is how the runtime's JSONata engine was chosen (issue 19): every candidate on PyPI, each in
its own virtual environment (some share the import name ``jsonata``), against the reference
implementation's own cases, with a pass count and the time the passing run took.

    python bench/jsonata_suite.py SUITE_DIR ENGINE [ENGINE ...] --python ENGINE=/venv/bin/python

``SUITE_DIR`` is a checkout's ``test/test-suite`` (``datasets/`` and ``groups/``); the suite is read,
never copied into this repository. Each engine runs in a child process that reports one JSON line per
case; a case that hangs or crashes the child for more than ``--case-timeout`` seconds counts as failed
and the child restarts after it.

Scoring, the same for every engine: a ``result`` case passes when the engine's value deep-equals it
(booleans are not numbers; 1 equals 1.0); an ``undefinedResult`` case passes on no value (engines that
cannot tell ``undefined`` from ``null`` report ``None`` for both, so ``null`` is accepted there too); a
``code`` case passes when the engine raises an error carrying that code. ``timelimit``/``depth`` are
not imposed (no engine takes the same limits), so those cases pass if the engine answers in time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# --- child side: one engine, cases from an index on ------------------------------------------------

UNDEF = object()


def _adapter(engine: str) -> Any:
    """compile(expr) -> evaluate(data, bindings); undefined becomes UNDEF; errors keep their code."""
    compile_ = _compiler(engine)

    def run(expr: str, data: Any, bindings: dict[str, Any]) -> Any:
        return compile_(expr)(data, bindings)

    run.compile = compile_  # type: ignore[attr-defined]
    return run


def _compiler(engine: str) -> Any:
    if engine == "jsonata-python":
        import jsonata  # type: ignore[import-not-found]

        def run(expr: str) -> Any:
            compiled = jsonata.Jsonata(expr)

            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                value = compiled.evaluate(None if data is UNDEF else data, bindings or None)
                return UNDEF if value is None else value

            return evaluate

        return run
    if engine == "jsonata-rs":
        import jsonata  # type: ignore[import-not-found]

        def run(expr: str) -> Any:
            compiled = jsonata.Jsonata(expr)
            compiled.set_output_convert_nulls(False)

            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                value = compiled.evaluate(None if data is UNDEF else data, bindings or None)
                return UNDEF if value is jsonata.UNDEFINED else value

            return evaluate

        return run
    if engine == "zopyx-pyjsonata":
        from zopyx.pyjsonata import UNDEFINED, Jsonata  # type: ignore[import-not-found]

        def run(expr: str) -> Any:
            compiled = Jsonata(expr)

            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                value = compiled.evaluate(UNDEFINED if data is UNDEF else data, bindings or None)
                return UNDEF if value is UNDEFINED else value

            return evaluate

        return run
    if engine == "jlens":
        import jlens  # type: ignore[import-not-found]

        def run(expr: str) -> Any:
            compiled = jlens.Expression(expr)

            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                value = compiled.evaluate(None if data is UNDEF else data, bindings or None)
                return UNDEF if value is None else value

            return evaluate

        return run
    if engine == "jsonatapy":
        import jsonatapy  # type: ignore[import-not-found]

        def run(expr: str) -> Any:
            compiled = jsonatapy.compile(expr)

            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                value = compiled.evaluate(None if data is UNDEF else data, bindings or None)
                return UNDEF if value is None else value

            return evaluate

        return run
    if engine == "jsonata2py":
        import jsonata2py  # type: ignore[import-not-found]

        def run(expr: str) -> Any:
            compiled = jsonata2py.compile(expr)

            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                bound = None
                if bindings:  # it takes its own bindings object, not a dict
                    bound = jsonata2py.JsonataBindings()
                    for name, value in bindings.items():
                        bound.bind_value(name, value)
                value = compiled.evaluate(jsonata2py.MISSING if data is UNDEF else data, bound)
                return UNDEF if value is jsonata2py.MISSING else value

            return evaluate

        return run
    if engine == "jsonata":  # a wrapper of an embedded JavaScript jsonata: no bindings
        import jsonata  # type: ignore[import-not-found]

        context = jsonata.Context()

        def run(expr: str) -> Any:
            def evaluate(data: Any, bindings: dict[str, Any]) -> Any:
                if bindings:
                    raise RuntimeError("bindings unsupported")
                try:
                    return context(expr, None if data is UNDEF else data)
                except KeyError:
                    return UNDEF

            return evaluate

        return run
    raise SystemExit(f"unknown engine {engine}")


_CODE = re.compile(r"\b([A-Z]\d{4})\b")


def _error_code(error: BaseException) -> str | None:
    for attr in ("code", "error_code", "error"):
        value = getattr(error, attr, None)
        if isinstance(value, str) and _CODE.fullmatch(value):
            return value
    found = _CODE.search(str(error))
    return found.group(1) if found else None


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(want, bool) and isinstance(got, bool) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return got == want or abs(got - want) <= 1e-9 * max(1.0, abs(want))
    if isinstance(want, dict):
        return (
            isinstance(got, dict) and got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
        )
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    return type(got) is type(want) and got == want


def load_cases(suite: Path) -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted((suite / "groups").glob("*/*.json")):
        body = json.loads(path.read_text())
        for i, case in enumerate(body if isinstance(body, list) else [body]):
            name = f"{path.parent.name}/{path.stem}" + (f"[{i}]" if isinstance(body, list) else "")
            if "expr-file" in case:
                case["expr"] = (path.parent / case["expr-file"]).read_text()
            cases.append((name, case))
    return cases


def _child(suite: Path, engine: str, start: int) -> None:
    # Results go to the original stdout; whatever an engine prints goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    run = _adapter(engine)
    datasets: dict[str, Any] = {}
    for index, (name, case) in enumerate(load_cases(suite)):
        if index < start:
            continue
        if "data" in case:
            data = case["data"]
        elif case.get("dataset") is None:
            data = UNDEF
        else:
            ds = case["dataset"]
            if ds not in datasets:
                datasets[ds] = json.loads((suite / "datasets" / f"{ds}.json").read_text())
            data = datasets[ds]
        began = time.perf_counter()
        try:
            got = run(case["expr"], data, case.get("bindings") or {})
            if "code" in case:
                ok = False
            elif case.get("undefinedResult"):
                ok = got is UNDEF or got is None
            elif "result" in case:
                ok = got is not UNDEF and _same(got, case["result"])
                if not ok and case["result"] is None:
                    ok = got is None
            else:
                ok = False
        except Exception as error:
            ok = "code" in case and _error_code(error) == case["code"]
        elapsed = time.perf_counter() - began
        print(json.dumps({"i": index, "name": name, "ok": ok, "s": elapsed}), file=out, flush=True)


# --- parent side ------------------------------------------------------------------------------------


def run_engine(suite: Path, engine: str, python: str, case_timeout: float) -> dict[str, Any]:
    total = len(load_cases(suite))
    results: dict[int, dict[str, Any]] = {}
    start = 0
    while start < total:
        child = subprocess.Popen(
            [python, os.path.abspath(__file__), "--child", str(suite), engine, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        last = start - 1
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(child.stdout, selectors.EVENT_READ)
        while True:
            if not sel.select(timeout=case_timeout):
                child.kill()
                break
            line = child.stdout.readline()
            if not line:
                break
            if not line.startswith("{"):
                continue
            row = json.loads(line)
            results[row["i"]] = row
            last = row["i"]
        child.wait()
        if last + 1 < total:  # the next case hung or crashed the engine: count it failed, go on
            results[last + 1] = {"i": last + 1, "ok": False, "s": 0.0, "lost": True}
        start = last + 2
    passed = [r for r in results.values() if r["ok"]]
    return {
        "engine": engine,
        "cases": total,
        "passed": len(passed),
        "hung_or_crashed": sum(1 for r in results.values() if r.get("lost")),
        "suite_seconds": round(sum(r["s"] for r in results.values()), 2),
        **_speed(engine, python),
    }


# --- speed: the expressions a state machine evaluates, the same workload for every engine ----------

SPEED_INPUT = {
    "orderId": "o-1",
    "customer": {"id": "c-9", "tier": "gold", "email": "a@example.com"},
    "items": [{"sku": f"sku-{i}", "qty": i % 4 + 1, "price": 9.5 + i} for i in range(40)],
}
SPEED_EXPRESSIONS = [
    "$states.input.orderId",
    "$states.input.customer.tier = 'gold'",
    "$sum($states.input.items.(qty * price))",
    "$states.input.items[qty > 2].sku",
    '{"id": $states.input.orderId, "n": $count($states.input.items),'
    ' "vip": $states.input.customer.tier in ["gold", "platinum"]}',
    "$string($states.input.items[0].price) & ' EUR'",
    "$map($states.input.items, function($v) { $v.sku & ':' & $v.qty })",
    "$merge([$states.input.customer, {'seen': true}])",
]
SPEED_ROUNDS = 300


def _speed_child(engine: str) -> None:
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    run = _adapter(engine)
    bindings = {"states": {"input": SPEED_INPUT, "context": {"Execution": {"Id": "x"}}}}
    evaluations = SPEED_ROUNDS * len(SPEED_EXPRESSIONS)
    began = time.perf_counter()
    for _ in range(SPEED_ROUNDS):
        for expr in SPEED_EXPRESSIONS:
            run(expr, UNDEF, bindings)  # compile + evaluate
    compile_each = time.perf_counter() - began
    compiled = [run.compile(expr) for expr in SPEED_EXPRESSIONS]  # type: ignore[attr-defined]
    began = time.perf_counter()
    for _ in range(SPEED_ROUNDS):
        for evaluate in compiled:
            evaluate(UNDEF, bindings)  # compiled once, as a state machine's expressions are
    cached = time.perf_counter() - began
    print(
        json.dumps(
            {
                "us_compile_and_eval": round(1e6 * compile_each / evaluations, 1),
                "us_eval_compiled": round(1e6 * cached / evaluations, 1),
            }
        ),
        file=out,
        flush=True,
    )


def _speed(engine: str, python: str) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [python, os.path.abspath(__file__), "--speed", engine],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (subprocess.SubprocessError, ValueError, IndexError) as error:
        return {"us_per_eval": None, "speed_error": " ".join(str(error).split())[:120]}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--speed":
        _speed_child(sys.argv[2])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path)
    parser.add_argument("engines", nargs="+")
    parser.add_argument("--python", action="append", default=[], help="ENGINE=/path/to/python")
    parser.add_argument("--case-timeout", type=float, default=10.0)
    args = parser.parse_args()
    pythons = dict(item.split("=", 1) for item in args.python)
    for engine in args.engines:
        row = run_engine(args.suite, engine, pythons.get(engine, sys.executable), args.case_timeout)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
