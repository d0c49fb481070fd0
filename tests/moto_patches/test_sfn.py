"""The gaps of runtime/moto/sfn.py: sfn_cfn_backend, sfn_unnamed_execution, sfn_finished_threads (their pairs
at the end of this file) and sfn_execution_names.

sfn_execution_names: concurrent StartExecution calls with one name make one execution.

"StartExecution is idempotent for STANDARD workflows. For a STANDARD workflow, if you call
StartExecution with the same name and input as a running execution, the call succeeds and return the
same response as the original request. If the execution is closed or if the input is different, it
returns a 400 ExecutionAlreadyExists error."
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html)

moto checks the name, deep-copies the state machine, then registers the execution. The tests hold the
first StartExecution at a gate right after its name check and let it go once a second StartExecution
of the same name has returned (plain moto: a second execution) or waits for the first (patched).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.stepfunctions.models import StateMachine

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto import sfn as moto_sfn
from tests.moto_patches.support import (
    PASS_MACHINE,
    REGION,
    ROLE_ARN,
    client,
    create_stack,
    create_state_machine,
    finished_execution,
    gap,
    stack_resources,
)
from tests.moto_patches.test_dynamodb import (  # noqa: F401 - embedded_aws is a fixture
    DEADLINE_SECONDS,
    Client,
    RecordingHooks,
    ReportingLock,
    embedded_aws,
    in_thread,
    joined,
)


class NameCheckGate:
    """Holds the first StartExecution of ``name`` right after moto found no execution of that name."""

    def __init__(self, name: str, monkeypatch: pytest.MonkeyPatch):
        self.name = name
        self.entered, self.settled, self._release = threading.Event(), threading.Event(), threading.Event()
        self._used = False
        locks = [ReportingLock(self.settled) for _ in moto_sfn.__dict__.get("EXECUTION_NAME_LOCKS", [None])]
        # Looked up per call by the patch; without the patch nothing takes them.
        monkeypatch.setattr(moto_sfn, "EXECUTION_NAME_LOCKS", locks, raising=False)

    @contextlib.contextmanager
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[NameCheckGate]:
        original = StateMachine._handle_name_input_idempotency

        def check(machine: Any, name: str, execution_input: str) -> Any:
            found = original(machine, name, execution_input)
            if name == self.name and found is None and not self._used:
                self._used = True
                self.entered.set()
                if not self._release.wait(DEADLINE_SECONDS):
                    raise TimeoutError("the gate was never released")
            return found

        with monkeypatch.context() as patched:
            patched.setattr(StateMachine, "_handle_name_input_idempotency", check)
            try:
                yield self
            finally:
                self._release.set()

    def run(self, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
        held = in_thread(first)
        if not self.entered.wait(DEADLINE_SECONDS):
            raise TimeoutError("the first StartExecution never reached the gate")

        def second_then_settle() -> Any:
            try:
                return second()
            finally:
                self.settled.set()  # returned (unpatched), or it waited for the first (patched)

        other = in_thread(second_then_settle)
        if not self.settled.wait(DEADLINE_SECONDS):
            raise TimeoutError("the second StartExecution neither returned nor waited")
        self._release.set()
        return joined(*held), joined(*other)


def check_sfn_execution_names(
    client: Client, monkeypatch: pytest.MonkeyPatch, role_arn: str = ROLE_ARN
) -> None:
    sfn = client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"names-{uuid.uuid4().hex[:8]}", definition=json.dumps(PASS_MACHINE), roleArn=role_arn
    )["stateMachineArn"]

    def start() -> Any:
        try:
            return sfn.start_execution(stateMachineArn=machine, name="once", input="{}")["executionArn"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    gate = NameCheckGate("once", monkeypatch)
    with gate.installed(monkeypatch):
        first, second = gate.run(start, start)

    executions = [
        e for e in sfn.list_executions(stateMachineArn=machine)["executions"] if e["name"] == "once"
    ]
    assert len(executions) == 1, f"one execution of the name, not {len(executions)}"
    # the first is registered before the second looks: the same one (still running) or closed already
    assert first == executions[0]["executionArn"]
    assert second in (first, "ExecutionAlreadyExists")


def in_process_client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@gap("sfn_execution_names")
def test_sfn_execution_names_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_sfn_execution_names(in_process_client, monkeypatch)


def test_sfn_execution_names_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("sfn_execution_names"):
        check_sfn_execution_names(in_process_client, monkeypatch)


def test_one_execution_per_name_over_the_wire(
    embedded_aws: tuple[Client, RecordingHooks],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = embedded_aws
    role = client("iam").create_role(RoleName=f"names-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}")
    check_sfn_execution_names(client, monkeypatch, role["Role"]["Arn"])


# ------------------------------------------------------------------------------ sfn_cfn_backend


def check_sfn_cfn_backend() -> None:
    definition = {
        "StartAt": "Done",
        "States": {"Done": {"Type": "Pass", "Result": {"r": "${Result}"}, "End": True}},
    }
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": json.dumps(definition),
                    "DefinitionSubstitutions": {"Result": "done"},
                    "RoleArn": ROLE_ARN,
                },
            }
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    arn = stack_resources()["Machine"]["PhysicalResourceId"]
    sfn = client("stepfunctions")
    listed = [machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]]
    assert listed == [arn], "the stack's state machine is one the Step Functions API serves"
    described = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    assert "${" not in described
    assert json.loads(described)["States"]["Done"]["Result"] == {"r": "done"}
    execution = sfn.start_execution(stateMachineArn=arn, name="run", input="{}")
    finished = finished_execution(sfn, execution["executionArn"])
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"]) == {"r": "done"}


@gap("sfn_cfn_backend")
def test_sfn_cfn_backend_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_cfn_backend()


def test_sfn_cfn_backend_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_cfn_backend"):
        check_sfn_cfn_backend()


# ------------------------------------------------------------------------ sfn_unnamed_execution


def check_sfn_unnamed_execution() -> None:
    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, PASS_MACHINE)

    def start_unnamed() -> str:
        try:
            return sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        except ClientError as exc:  # plain moto: the second "None" may collide with the first
            raise AssertionError(f"an unnamed StartExecution was refused: {exc}") from exc

    first, second = start_unnamed(), start_unnamed()
    assert first != second, "each unnamed execution gets its own name"
    assert not first.endswith(":None")
    for execution_arn in (first, second):
        assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED"


@gap("sfn_unnamed_execution")
def test_sfn_unnamed_execution_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_unnamed_execution()


def test_sfn_unnamed_execution_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_unnamed_execution"):
        check_sfn_unnamed_execution()


# ------------------------------------------------------------------------- sfn_finished_threads


def check_sfn_finished_threads() -> None:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn = client("stepfunctions")
    arn = create_state_machine(sfn, PASS_MACHINE)

    def run(name: str) -> None:
        execution_arn = sfn.start_execution(stateMachineArn=arn, name=name, input="{}")["executionArn"]
        assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED"
        for thread in list(TMP_THREADS):  # every thread of the execution has finished, not just its status
            thread.join(DEADLINE_SECONDS)

    TMP_THREADS.clear()
    run("first")
    per_execution = len(TMP_THREADS)
    assert per_execution >= 1
    for index in range(3):
        run(f"next-{index}")
    assert len(TMP_THREADS) <= per_execution, (
        f"{len(TMP_THREADS)} threads kept after 4 executions: only the last one's ({per_execution})"
    )


@gap("sfn_finished_threads")
def test_sfn_finished_threads_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_finished_threads()


def test_sfn_finished_threads_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_finished_threads"):
        check_sfn_finished_threads()
