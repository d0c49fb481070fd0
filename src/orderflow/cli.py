"""The ``orderflow`` command: run the template locally and look inside it.

    orderflow up        run template.yaml locally (embedded AWS + local API Gateway) until Ctrl-C
    orderflow demo      boot it in-process and push sample orders, users and mails through it
    orderflow history   an order's Step Functions execution history, as a table
    orderflow load      bulk-load a JSON/CSV file into one of the stack's tables
    orderflow outbox    the mails the stack has sent (SES)
    orderflow faults    show, set or clear the fault-injection rules of a running runtime
    orderflow cost      what 1,000,000 orders cost on AWS (Standard, Express, a single Lambda)
    orderflow aws       the AWS CLI against the running runtime (as LocalStack's awslocal)

Every bad input is one line on stderr and a non-zero exit; never a traceback
(set ORDERFLOW_DEBUG=1 to see one for an unexpected error).

Each command imports what it needs when it runs (with those of cli_client.py, awslocal.py and
awsclients.py, the only function-local imports in orderflow): ``history``, ``load``, ``outbox``,
``faults``, ``cost`` and ``aws`` (in
:mod:`orderflow.cli_client` and :mod:`orderflow.awslocal`) talk to a running stack, found through
the discovery record ``up`` writes (:mod:`orderflow.discovery`), and never import moto,
samtranslator or the runtime, which ``up`` and ``demo`` need; ``--help`` and ``--version`` import
argparse and little else.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from orderflow.awsclients import default_region
from orderflow.cli_client import cmd_cost, cmd_faults, cmd_history, cmd_load, cmd_outbox
from orderflow.discovery import RECORD_NAME, remove_record, write_record
from orderflow.errors import OrderflowError, error_text

PROG = "orderflow"
T = TypeVar("T")
CONSOLE_PORT = 4580  # orderflow up's web console, when free
REGION_HELP = "default $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1 (as the AWS CLI)"
ENDPOINT_HELP = (
    "the runtime's AWS endpoint (default $AWS_ENDPOINT_URL, then the discovery record of a running "
    "`orderflow up` (.orderflow/<stack>/runtime.json here), then http://127.0.0.1:4566)"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


class _Version(argparse.Action):
    """``--version``: the installed package's version (read only when asked for)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("orderflow")
        except PackageNotFoundError:
            number = "unknown (not installed: pip install -e .)"
        print(f"{PROG} {number}")  # on stdout, as argparse's own version action
        parser.exit(0)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} out of range 1-65535")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text} seconds out of range 0-86400")
    return value


def _origin(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    if scheme not in ("http", "https") or not sep or not rest or "/" in rest.rstrip("/"):
        raise argparse.ArgumentTypeError(f"invalid origin {text!r} (expected scheme://host[:port])")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive count")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="Run the orderflow SAM template locally: no Docker, no AWS account."
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def found(p: argparse.ArgumentParser, region: bool = True) -> None:
        """The options a client command finds its runtime with (see orderflow.discovery)."""
        p.add_argument("--endpoint", default=None, help=ENDPOINT_HELP)
        p.add_argument(
            "--stack-name",
            default=None,
            help="the local stack's name (default: the discovered runtime's, else orderflow)",
        )
        p.add_argument(
            "--state-dir",
            type=Path,
            default=None,
            metavar="DIR",
            help=f"the state dir of the `orderflow up` to find (its {RECORD_NAME} and admin-token; "
            "default .orderflow/<stack-name> here)",
        )
        if region:
            p.add_argument(
                "--region", default=None, help=REGION_HELP.replace("default ", "default the runtime's, then ")
            )

    up = commands.add_parser(
        "up",
        help="run the template locally until Ctrl-C",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    up.add_argument("--template", type=Path, default=Path("template.yaml"), help="the SAM template")
    up.add_argument("--stack-name", default="orderflow", help="the local stack's name")
    up.add_argument("--aws-port", type=_port, default=4566, help="the embedded AWS's port")
    up.add_argument("--api-port", type=_port, default=3000, help="the local API Gateway's port")
    up.add_argument(
        "--console-port",
        type=_port,
        default=None,
        help=f"the web console's port (default {CONSOLE_PORT}, or any free port when it is taken)",
    )
    up.add_argument("--no-console", action="store_true", help="do not serve the web console")
    up.add_argument("--region", default=None, help=REGION_HELP)
    _parameter_arguments(up)
    up.add_argument(
        "--mock-config",
        type=Path,
        default=None,
        help="a Step Functions Local MockConfigFile.json (default $SFN_MOCK_CONFIG); "
        "StartExecution on <stateMachineArn>#<TestCase> runs that test case",
    )
    up.add_argument(
        "--time-scale",
        default=None,
        help="scale Retry back-off and Wait sleeps (and botocore's retry sleeps in the functions, "
        "the stream mappings' retry back-off, the time between schedule firings: 0.001 fires a "
        "rate(1 hour) every 3.6 s): 0 skips them, 1 is real time (default $ORDERFLOW_TIME_SCALE or 1)",
    )
    up.add_argument(
        "--faults",
        type=Path,
        default=None,
        metavar="FILE",
        help="fault-injection rules (YAML or JSON) in force from the start; change them while it runs "
        "with `orderflow faults`",
    )
    up.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        type=_origin,
        help="a browser origin (e.g. http://localhost:5173) the embedded AWS answers (repeatable); "
        "by default it refuses every web page",
    )
    up.add_argument(
        "--host",
        default="127.0.0.1",
        choices=["127.0.0.1", "0.0.0.0"],
        help="where both ports listen: 127.0.0.1, or 0.0.0.0 for every interface (which exposes the "
        "embedded AWS, which checks no signatures (any key but a role session's is the administrator), "
        "to other machines)",
    )
    up.add_argument(
        "--no-iam",
        action="store_true",
        help="do not enforce IAM: every function and state machine acts as the account's administrator "
        "(by default each runs with a session of its execution role, evaluated against its policies)",
    )
    up.add_argument(
        "--max-concurrency",
        type=_positive_int,
        default=4,
        metavar="N",
        help="concurrent invocations (each in its own worker process) per function without "
        "ReservedConcurrentExecutions; more wait for a free worker",
    )
    up.add_argument(
        "--no-lint",
        action="store_true",
        help="deploy without running cfn-lint first (by default its errors stop the start, "
        "as `sam validate --lint`)",
    )
    up.add_argument(
        "--disable-patch",
        action="append",
        default=[],
        metavar="NAME",
        help="leave one of the runtime's named moto patches off (repeatable; docs/moto-patches.md "
        "lists them), e.g. to see whether plain moto still has a gap",
    )
    up.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the embedded AWS's state (tables, queues, mails, executions, the stack) is kept "
        "across a stop and start, beside the logs and the admin token (default .orderflow/<stack> "
        "beside the template)",
    )
    up.add_argument(
        "--in-memory",
        action="store_true",
        help="start empty and keep nothing of the embedded AWS's state at stop",
    )
    up.add_argument(
        "--snapshot-interval",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="also save the state every SECONDS while requests come in (0: only at a clean stop); "
        "a crash loses at most what changed since the last save",
    )
    up.add_argument(
        "--stop-grace",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="at Ctrl-C or SIGTERM, new requests and executions are refused (503) and those in flight "
        "get up to SECONDS to finish (a second Ctrl-C: at once); executions still running then are "
        "saved and resume at the next start",
    )
    up.add_argument(
        "--quiet",
        action="store_true",
        help="no access log and no function log echo (function logs stay in .orderflow/<stack>/logs/)",
    )
    up.add_argument(
        "--log-format",
        choices=["compact", "json"],
        default="compact",
        help="function log lines on the terminal: compact (time, level, function, message and the "
        "record's own fields) or json (each line as the function wrote it, as in the log files)",
    )

    demo = commands.add_parser(
        "demo", help="boot the template in-process and run sample orders, users, mails"
    )
    demo.add_argument("--template", type=Path, default=Path("template.yaml"), help="default ./template.yaml")
    demo.add_argument("--aws-port", type=_port, default=None, help="default 4566 if free, else any free port")
    demo.add_argument("--api-port", type=_port, default=None, help="default 3000 if free, else any free port")
    demo.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for executions and mails")
    _parameter_arguments(demo)

    history = commands.add_parser("history", help="an execution's history as a table")
    history.add_argument("ref", metavar="ORDER_ID|EXECUTION_ARN")
    history.add_argument(
        "--json", action="store_true", help="the execution and its events as JSON (attempts numbered)"
    )
    found(history)

    load = commands.add_parser("load", help="bulk-load a .json or .csv file into a table of the stack")
    load.add_argument("table", help="e.g. products (the ProductsTable) or a physical table name")
    load.add_argument("file", type=Path)
    load.add_argument("--no-progress", action="store_true")
    found(load)

    outbox = commands.add_parser("outbox", help="the mails sent through SES")
    outbox.add_argument("--json", action="store_true", help="print JSON instead of a listing")
    found(outbox, region=False)

    faults = commands.add_parser(
        "faults", help="show, set or clear the fault-injection rules of a running runtime"
    )
    faults.add_argument("action", choices=["show", "set", "clear"])
    faults.add_argument("file", type=Path, nargs="?", help="the rules (YAML or JSON), for set")
    faults.add_argument("--json", action="store_true", help="print the answer as JSON")
    found(faults, region=False)
    cost = commands.add_parser(
        "cost",
        help="what 1,000,000 orders cost on AWS, from the executions that ran on the stack",
    )
    cost.add_argument(
        "--template",
        type=Path,
        default=Path("template.yaml"),
        help="the template the stack runs (default ./template.yaml): its functions' REPORT lines "
        "are read from .orderflow/<stack>/logs/ beside it",
    )
    cost.add_argument(
        "--limit",
        type=_positive,
        default=500,
        help="price the most recent N finished executions (default 500)",
    )
    cost.add_argument(
        "--price-region",
        default=None,
        help="price at this region's list prices (default: the stack's region)",
    )
    cost.add_argument("--json", action="store_true", help="print JSON instead of a table")
    found(cost)

    commands.add_parser(
        "aws",
        help="run the AWS CLI (v1 or v2) against the running runtime, as LocalStack's awslocal",
        description="orderflow aws ARGS...: `aws ARGS...` with --endpoint-url set to the runtime found "
        "as the other client commands find it ($AWS_ENDPOINT_URL, then the discovery record, then "
        "http://127.0.0.1:4566), a region and dummy credentials when none are set",
        add_help=False,
    )
    return parser


# ---------------------------------------------------------------------------- up
class StartupLog(logging.Handler):
    """The runtime's log lines while it starts: shown once it is up, dropped if it fails to start
    (then the one error line says it all). Afterwards lines go straight to stderr."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(min(level, logging.INFO))  # progress lines are INFO (see emit)
        self.shown_level = level
        self.setFormatter(logging.Formatter("%(message)s"))
        self.buffer: list[logging.LogRecord] | None = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.buffer is not None and getattr(record, "progress", False):
            # a long first step (a function package's build) is shown as it happens
            print(self.format(record), file=sys.__stderr__, flush=True)
            return
        if record.levelno < self.shown_level:
            return
        if self.buffer is not None:
            self.buffer.append(record)
            return
        print(self.format(record), file=sys.stderr, flush=True)

    def end_startup(self, show: bool) -> None:
        records, self.buffer = self.buffer or [], None
        if show:
            for record in records:
                print(self.format(record), file=sys.stderr, flush=True)

    def install(self) -> StartupLog:
        # moto warns once per resource type it lacks; the runtime reports those itself, better. Its
        # records never reach the console (Python's last-resort handler would print them to stderr):
        # `orderflow up` sends them to <logs>/moto.log once the runtime is up.
        moto_log = logging.getLogger("moto")
        moto_log.setLevel(logging.ERROR)
        moto_log.propagate = False
        if not moto_log.handlers:
            moto_log.addHandler(logging.NullHandler())
        runtime_log = logging.getLogger("orderflow")
        runtime_log.addHandler(self)
        runtime_log.setLevel(min(self.level, runtime_log.getEffectiveLevel()))
        runtime_log.propagate = False
        return self

    def uninstall(self) -> None:
        logging.getLogger("orderflow").removeHandler(self)
        logging.getLogger("orderflow").propagate = True


class StderrGate:
    """Holds what is written to sys.stderr (function logs echoed by the workers) while the runtime
    starts: shown once it is up, dropped when it fails (the one error line says it all)."""

    def __init__(self) -> None:
        self.real = sys.stderr
        self.held: list[str] | None = []

    def write(self, text: str) -> int:
        if self.held is not None:
            self.held.append(text)
            return len(text)
        return self.real.write(text)

    def flush(self) -> None:
        if self.held is None:
            self.real.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def open(self, show: bool) -> None:
        held, self.held = self.held or [], None
        if show:
            self.real.write("".join(held))
            self.real.flush()


def mount_lines(runtime: Any, api_url: str) -> list[str]:
    """``Mounting <LogicalId> at <url> [METHODS]`` per API path, as ``sam local start-api`` says it."""
    methods: dict[tuple[str, str], list[str]] = {}
    for route in runtime.routes:
        logical = runtime.functions_by_name().get(route.function_name, route.function_name)
        methods.setdefault((logical, route.path), []).append(route.method.upper())
    base = api_url.rstrip("/")
    return [
        f"Mounting {logical} at {base}{path} [{', '.join(sorted(set(verbs)))}]"
        for (logical, path), verbs in sorted(methods.items(), key=lambda item: (item[0][1], item[0][0]))
    ]


def _moto_log_to(path: Path) -> None:
    """moto's own log records (an ASL failure logs its whole evaluation context, kilobytes per line)
    go to a file beside the functions' logs, not the console."""
    moto_log = logging.getLogger("moto")
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    moto_log.addHandler(handler)
    moto_log.setLevel(logging.WARNING)


def cmd_up(args: argparse.Namespace) -> int:
    from orderflow.api.gateway import default_access_log
    from orderflow.session import LocalSession, SessionOptions

    started = time.monotonic()
    # --console-port as given; by default CONSOLE_PORT, or any free port when it is taken (the
    # ready line says which)
    console_port = CONSOLE_PORT if args.console_port is None else args.console_port
    if console_port in (args.aws_port, args.api_port):
        console_port = 0
    options = _loaded(
        args,
        lambda **raw: SessionOptions.load(
            args.template,
            **raw,
            faults_file=args.faults,
            mock_config=args.mock_config,
            time_scale=args.time_scale,
            stack_name=args.stack_name,
            aws_port=args.aws_port,
            api_port=args.api_port,
            region=args.region or default_region(),
            log_echo=not args.quiet,
            log_format=args.log_format,
            access_log=None if args.quiet else default_access_log,
            disabled_patches=tuple(args.disable_patch),
            allowed_origins=tuple(args.allow_origin),
            lint=not args.no_lint,
            host=args.host,
            state_dir=args.state_dir,
            persist=not args.in_memory,
            snapshot_interval=args.snapshot_interval or None,
            max_workers_per_function=args.max_concurrency,
            iam=not args.no_iam,
            console_port=None if args.no_console else console_port,
            console_port_fallback=args.console_port is None,
            stop_grace=args.stop_grace,
        ),
    )
    if not args.no_console and args.console_port is not None and console_port == 0 != args.console_port:
        raise OrderflowError(f"--console-port {args.console_port} is the AWS or API port")
    region, mock_config = options.region, options.mock_config

    stop = threading.Event()
    session = LocalSession(options)

    def on_signal(*_: Any) -> None:  # the first asks for a stop, a second one cuts its grace short
        if stop.is_set():
            session.hurry()
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    record_dir: Path | None = None  # where the discovery record was written, once ready
    startup_log = StartupLog(logging.INFO).install()
    gate = StderrGate()
    sys.stderr = gate
    try:
        session.start()
        assert session.runtime is not None and session.api is not None
        gate.open(show=True)
        startup_log.end_startup(show=True)
        took = time.monotonic() - started
        urls = f"aws={session.runtime.endpoint_url}  api={session.api.url}"
        if session.console is not None:
            urls += f"  console={session.console.url}"
        off = f", moto patches off: {', '.join(args.disable_patch)}" if args.disable_patch else ""
        iam = "IAM off (--no-iam)" if args.no_iam else "IAM enforced"
        where = f"stack {args.stack_name}, region {region}, {iam}"
        _print_state(session.runtime)
        if session.console is not None and args.console_port is None and console_port != session.console.port:
            print(
                f"console: port {CONSOLE_PORT} is taken, so the console is at {session.console.url} "
                "(see --console-port)",
                file=sys.stderr,
                flush=True,
            )
        logs = session.runtime.state_dir / "logs"
        mock = f"mock-config={mock_config}" if mock_config else "mock-config=none"
        record_dir = session.runtime.state_dir
        write_record(
            record_dir,
            endpoints={
                "aws": session.runtime.endpoint_url,
                "api": session.api.url,
                "console": session.console.url if session.console is not None else None,
            },
            stack_name=args.stack_name,
            region=region,
        )
        print(f"orderflow ready  {urls}  ({where}, {took:.1f} s{off})  logs={logs}  {mock}", flush=True)
        for line in mount_lines(session.runtime, session.api.url):  # on stderr, as sam local says them
            print(line, file=sys.stderr, flush=True)
        _moto_log_to(logs / "moto.log")
        while not stop.wait(0.5):
            pass
        print("orderflow stopping", file=sys.stderr, flush=True)
        return 0
    finally:
        if record_dir is not None:  # first: a client finds no runtime that refuses work
            remove_record(record_dir)
        try:
            session.stop()  # the handlers stay: a signal now cuts the grace short, never a traceback
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        startup_log.end_startup(show=False)
        startup_log.uninstall()
        gate.open(show=False)
        sys.stderr = gate.real


def _print_state(runtime: Any) -> None:
    """One line on stderr: where the state is kept and what the start did with the saved one."""
    if not runtime.persist:
        line = "state: in memory only (nothing is kept at stop)"
    elif runtime.restored is None:
        line = f"state: new, kept in {runtime.state_dir}"
    else:
        size = runtime.state_file.stat().st_size / 1e6 if runtime.state_file.exists() else 0.0
        took = runtime.timings.get("state_load_ms", 0.0) / 1000
        line = f"state: restored from {runtime.state_dir} ({size:.1f} MB in {took:.1f} s)"
        if runtime.stack_action == "update":
            changes = getattr(runtime, "stack_changes", [])
            line += (
                f", stack updated to the changed template: {'; '.join(changes)}"
                if changes
                else ", the changed template changes no resource"
            )
    print(line, file=sys.stderr, flush=True)


def _parameter_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters as SAM CLI takes them (Key=Value or ParameterKey=K,ParameterValue=V); "
        "they win over samconfig.toml's parameter_overrides",
    )
    command.add_argument(
        "--config-env",
        default="default",
        help="the samconfig.toml environment (beside the template) whose parameter_overrides apply",
    )


def _loaded(args: argparse.Namespace, load: Callable[..., T]) -> T:
    """``load(parameter_overrides=..., config_env=...)`` (its ConfigError is main's to print)."""
    return load(parameter_overrides=args.parameter_overrides, config_env=args.config_env)


def _parameter_overrides(args: argparse.Namespace, template: Path) -> dict[str, str]:
    """samconfig.toml's parameter_overrides for --config-env, then --parameter-overrides, checked
    against the template's Parameters (every mistake one line)."""
    from orderflow.runtime.config import load_parameters

    return _loaded(
        args,
        lambda parameter_overrides, config_env: load_parameters(template, parameter_overrides, config_env),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from orderflow.demo import run_demo

    # Only warnings from the runtime while the demo runs; its start-up notes are not the demo's story.
    startup_log = StartupLog(logging.WARNING).install()
    try:
        return run_demo(
            template=args.template,
            parameter_overrides=_parameter_overrides(args, args.template),
            aws_port=args.aws_port,
            api_port=args.api_port,
            timeout=args.timeout,
            on_ready=lambda: startup_log.end_startup(show=False),
        )
    finally:
        startup_log.end_startup(show=False)
        startup_log.uninstall()


COMMANDS = {
    "up": cmd_up,
    "demo": cmd_demo,
    "history": cmd_history,
    "load": cmd_load,
    "outbox": cmd_outbox,
    "faults": cmd_faults,
    "cost": cmd_cost,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["aws"]:  # everything after it is the AWS CLI's, --help included
        from orderflow.awslocal import run_aws

        try:
            return run_aws(argv[1:])
        except OrderflowError as exc:
            print(error_text(f"{PROG} aws: ", exc), file=sys.stderr)
            return 1
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except OrderflowError as exc:  # every user-facing error, wherever it was raised: its lines alone
        print(error_text(f"{PROG} {args.command}: ", exc), file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (``| head``): end quietly; stdout goes nowhere so the interpreter's
        # own flush at exit does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("ORDERFLOW_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        print(f"{PROG} {args.command}: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
