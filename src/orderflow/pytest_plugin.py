"""The pytest plugin: your SAM template, run by orderflow's runtime, as the fixture ``orderflow_stack``.

Installed with the package (entry point ``pytest11``: ``orderflow``), so ``pip install orderflow`` is
enough::

    pytest --orderflow-template template.yaml [--orderflow-parameter-overrides Key=Value ...]
           [--orderflow-mock-config MockConfigFile.json] [--orderflow-time-scale 0]

    def test_approves(orderflow_stack):
        execution = orderflow_stack.start_execution("ApprovalStateMachine", {"amount": 10})
        assert execution.wait(30)["status"] == "SUCCEEDED"

``orderflow_stack`` (session scope) is started once, on free ports, the first time a test asks for
it, and stopped at the end of the session; without ``--orderflow-template`` a test that asks for it
errors and nothing starts. When a test that uses it fails, the report shows the history of each
execution the test started, as ``orderflow history`` prints it. Importing this module costs nothing:
the runtime is imported when the fixture first starts.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from orderflow.session import LocalSession

STATE_MACHINE = "AWS::StepFunctions::StateMachine"
STACK_NAME = "orderflow-pytest"  # its logs: .orderflow/orderflow-pytest/logs/ beside the template
DEFAULT_WAIT_S = 30.0
_STACK = pytest.StashKey["OrderflowStack | None"]()
HISTORY_SECTION = "orderflow execution history"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orderflow", "orderflow: a SAM template run locally (fixture orderflow_stack)")
    group.addoption(
        "--orderflow-template",
        metavar="PATH",
        default=None,
        help="the SAM template the orderflow_stack fixture runs (default: the orderflow_template ini value)",
    )
    group.addoption(
        "--orderflow-parameter-overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters as SAM CLI takes them (Key=Value or ParameterKey=K,ParameterValue=V; "
        "several in one quoted argument or repeated); they win over samconfig.toml's",
    )
    group.addoption(
        "--orderflow-mock-config",
        metavar="PATH",
        default=None,
        help="a Step Functions Local MockConfigFile.json: start_execution(..., test_case=NAME) runs that "
        "test case (default $SFN_MOCK_CONFIG)",
    )
    group.addoption(
        "--orderflow-time-scale",
        metavar="FACTOR",
        default=None,
        help="scale Retry back-off and Wait sleeps: 0 skips them, 1 is real time "
        "(default $ORDERFLOW_TIME_SCALE or 1)",
    )
    for name, what in (("aws", "the embedded AWS"), ("api", "the local API")):
        group.addoption(
            f"--orderflow-{name}-port",
            metavar="PORT",
            type=port,
            default=None,
            help=f"the port of {what} (default: a free one) - a fixed one to reach the stack from outside",
        )
    parser.addini("orderflow_template", "the SAM template the orderflow_stack fixture runs", default="")


def port(text: str) -> int:
    """A TCP port number (1-65535); argparse turns the ValueError into a one-line usage error."""
    number = int(text)
    if not 0 < number < 65536:
        raise ValueError(text)
    return number


@dataclass
class Execution:
    """One execution started by :meth:`OrderflowStack.start_execution`."""

    arn: str
    stack: OrderflowStack = field(repr=False)

    def describe(self) -> dict[str, Any]:
        """DescribeExecution, as the service answers it."""
        return dict(self.stack.client("stepfunctions").describe_execution(executionArn=self.arn))

    def wait(self, timeout: float = DEFAULT_WAIT_S) -> dict[str, Any]:
        """DescribeExecution once the execution has left RUNNING (``orderflow.polling.WaitTimeout``,
        a TimeoutError, after ``timeout`` seconds)."""
        from orderflow.polling import wait_execution_stopped

        sfn = self.stack.client("stepfunctions")
        return dict(wait_execution_stopped(sfn, self.arn, timeout=timeout, interval=0.01))

    def history(self) -> ExecutionHistory:
        return self.stack.history(self)


class ExecutionHistory(list[dict[str, Any]]):
    """GetExecutionHistory's events (every page, oldest first); ``str()`` is the table
    ``orderflow history`` prints."""

    def __init__(self, description: dict[str, Any], events: list[dict[str, Any]]) -> None:
        super().__init__(events)
        self.description = description

    def __str__(self) -> str:
        from orderflow.history import format_history

        return format_history(self.description, list(self), width=120)

    def types(self) -> list[str]:
        """The events' types in order (``["ExecutionStarted", "PassStateEntered", ...]``)."""
        return [str(event["type"]) for event in self]


class OrderflowStack:
    """The template running locally: its clients, outputs, and Step Functions executions."""

    def __init__(self, session: LocalSession) -> None:
        runtime = session.runtime
        assert runtime is not None
        self._session = session
        self._runtime = runtime
        self._clients: dict[str, Any] = {}
        self.started: list[Execution] = []  # by the test that runs now (the report shows their history)

    @property
    def outputs(self) -> dict[str, str]:
        """The stack's Outputs: name -> value."""
        return dict(self._runtime.outputs)

    @property
    def resources(self) -> dict[str, str]:
        """Logical id -> physical id of every resource of the stack (a state machine's is its ARN)."""
        return dict(self._runtime.resources)

    @property
    def endpoint_url(self) -> str:
        """The embedded AWS (every service on one port), for clients made elsewhere."""
        return str(self._runtime.endpoint_url)

    @property
    def api_url(self) -> str | None:
        """The local API Gateway's base URL (the stage in the path, as ``orderflow up`` serves it)."""
        return self._session.api.url if self._session.api is not None else None

    @property
    def region(self) -> str:
        return str(self._runtime.region)

    def client(self, service: str) -> Any:
        """A boto3 client bound to the local stack (one per service, reused)."""
        if service not in self._clients:
            self._clients[service] = self._runtime.client(service)
        return self._clients[service]

    def state_machine_arn(self, state_machine: str) -> str:
        """The ARN of ``state_machine``: a logical id of the template, or an ARN as it is."""
        if state_machine.startswith("arn:"):
            return state_machine
        types = self._runtime.resource_types
        if types.get(state_machine) == STATE_MACHINE:
            return str(self._runtime.resources[state_machine])
        known = sorted(logical for logical, kind in types.items() if kind == STATE_MACHINE)
        raise LookupError(
            f"no state machine {state_machine!r} in the template (its state machines: "
            f"{', '.join(known) or 'none'})"
        )

    def start_execution(
        self, state_machine: str, input: Any = None, test_case: str | None = None, name: str | None = None
    ) -> Execution:
        """StartExecution of ``state_machine`` (a logical id or an ARN) with ``input`` (a str is sent as
        it is, anything else as JSON; None: ``{}``); ``test_case``: that test case of the mock config."""
        arn = self.state_machine_arn(state_machine)
        if test_case is not None:
            arn = f"{arn}#{test_case}"
        text = input if isinstance(input, str) else json.dumps({} if input is None else input)
        request: dict[str, Any] = {"stateMachineArn": arn, "input": text}
        if name is not None:
            request["name"] = name
        started = self.client("stepfunctions").start_execution(**request)
        execution = Execution(str(started["executionArn"]), self)
        self.started.append(execution)
        return execution

    def history(self, execution: Execution | str) -> ExecutionHistory:
        """The execution's (an Execution or its ARN) history: its events, ``str()`` the table."""
        from orderflow.history import get_history

        arn = execution.arn if isinstance(execution, Execution) else execution
        sfn = self.client("stepfunctions")
        return ExecutionHistory(dict(sfn.describe_execution(executionArn=arn)), get_history(sfn, arn))


def _start(config: pytest.Config) -> OrderflowStack:
    ini = config.getini("orderflow_template")  # relative to the rootdir, as pytest's ini paths are
    template = config.getoption("orderflow_template") or (str(config.rootpath / ini) if ini else None)
    if not template:  # said before anything of the runtime is imported
        pytest.fail(
            "orderflow_stack needs a template: pass --orderflow-template path/template.yaml "
            "(or set orderflow_template in the pytest ini)",
            pytrace=False,
        )
    from orderflow.errors import OrderflowError, error_text
    from orderflow.ports import free_port
    from orderflow.session import LocalSession, SessionOptions

    overrides = [
        token for raw in config.getoption("orderflow_parameter_overrides") for token in shlex.split(raw)
    ]
    try:
        options = SessionOptions.load(
            Path(template),
            parameter_overrides=overrides,
            mock_config=config.getoption("orderflow_mock_config"),
            time_scale=config.getoption("orderflow_time_scale"),
            stack_name=STACK_NAME,
            aws_port=config.getoption("orderflow_aws_port") or free_port(),
            api_port=config.getoption("orderflow_api_port") or free_port(),
            stop_grace=0.0,  # what still runs at the end of the session is not waited for
        )
        return OrderflowStack(LocalSession(options).start())
    except OrderflowError as exc:
        refused = error_text("orderflow_stack: ", exc)
    pytest.fail(refused, pytrace=False)  # outside the except: no "during handling" chain in the report


@pytest.fixture(scope="session")
def orderflow_stack(request: pytest.FixtureRequest) -> Iterator[OrderflowStack]:
    """The template of ``--orderflow-template`` running locally, for the whole session."""
    stack = _start(request.config)
    request.config.stash[_STACK] = stack
    try:
        yield stack
    finally:
        request.config.stash[_STACK] = None
        stack._session.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    stack = item.config.stash.get(_STACK, None)
    if stack is not None:
        stack.started.clear()  # executions are the current test's from here on


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    stack = item.config.stash.get(_STACK, None)
    if not report.failed or stack is None or not stack.started:
        return
    for execution in stack.started:
        try:
            text = str(stack.history(execution))
        except Exception as exc:  # the report must not fail on what it adds
            text = f"(history unavailable: {type(exc).__name__}: {exc})"
        report.sections.append((f"{HISTORY_SECTION}: {execution.arn}", text))
