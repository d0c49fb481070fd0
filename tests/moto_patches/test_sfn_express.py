"""sfn_express_executions, sfn_sync_execution, sfn_execution_logs (runtime/moto/sfn_express.py): Express
executions, StartSyncExecution and execution logs, each against plain moto.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.runtime.moto import REGISTRY, sfn_local_hooks
from orderflow.runtime.sfn_local.mock_config import parse_mock_config
from tests.moto_patches.support import (
    ACCOUNT,
    CHARGE_MACHINE,
    DEADLINE_SECONDS,
    FAIL_MACHINE,
    MOCK_CONFIG,
    PASS_MACHINE,
    REGION,
    ROLE_ARN,
    client,
    create_state_machine,
    finished_execution,
    gap,
)

# ----------------------------------------------------------------------- sfn_express_executions


def create_express_machine(sfn: Any, definition: dict[str, Any], name: str = "fast", **kwargs: Any) -> str:
    return sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN, type="EXPRESS", **kwargs
    )["stateMachineArn"]


def client_error_code(call: Callable[[], Any]) -> str:
    """The error code AWS answers ``call`` with; an AssertionError when it succeeds."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    raise AssertionError("the call succeeded where AWS refuses it")


def check_sfn_express_executions() -> None:
    sfn = client("stepfunctions")
    arn = create_express_machine(sfn, PASS_MACHINE)
    first = sfn.start_execution(stateMachineArn=arn, name="run", input="{}")["executionArn"]
    prefix = f"arn:aws:states:{REGION}:{ACCOUNT}:express:fast:run:"
    assert first.startswith(prefix) and len(first) > len(prefix), first
    second = sfn.start_execution(stateMachineArn=arn, name="run", input='{"other": 1}')["executionArn"]
    assert second != first, "an Express execution name is no idempotency key"
    assert client_error_code(lambda: sfn.describe_execution(executionArn=first)) == "InvalidArn"
    assert client_error_code(lambda: sfn.get_execution_history(executionArn=first)) == "InvalidArn"
    assert (
        client_error_code(lambda: sfn.list_executions(stateMachineArn=arn)) == "StateMachineTypeNotSupported"
    )
    standard = create_state_machine(sfn, PASS_MACHINE, name="slow")
    execution_arn = sfn.start_execution(stateMachineArn=standard, name="run", input="{}")["executionArn"]
    assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED", "STANDARD is unchanged"


@gap("sfn_express_executions")
def test_sfn_express_executions_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_express_executions()


def test_sfn_express_executions_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_express_executions"):
        check_sfn_express_executions()


# --------------------------------------------------------------------------- sfn_sync_execution


def sync_client() -> Any:
    # botocore sends StartSyncExecution to sync-<endpoint host>: fine on AWS (sync-states.<region>...),
    # not for a local endpoint. The runtime's clients turn the prefix off the same way.
    return boto3.client("stepfunctions", region_name=REGION, config=Config(inject_host_prefix=False))


def start_sync(sfn: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return dict(sfn.start_sync_execution(**kwargs))
    except (ClientError, NotImplementedError) as exc:  # plain moto: "Not yet implemented"
        raise AssertionError(f"StartSyncExecution refused: {exc!r}") from exc


def check_sfn_sync_execution() -> None:
    sfn = sync_client()
    arn = create_express_machine(sfn, PASS_MACHINE)
    done = start_sync(sfn, stateMachineArn=arn, name="run", input='{"in": 1}')
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"a": 1}
    assert json.loads(done["input"]) == {"in": 1}
    assert done["stateMachineArn"] == arn and done["name"] == "run"
    assert done["stopDate"] >= done["startDate"]
    failing = create_express_machine(sfn, FAIL_MACHINE, name="failing")
    failed = start_sync(sfn, stateMachineArn=failing, input="{}")
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Boom", "why"), failed
    assert "output" not in failed
    standard = create_state_machine(sfn, PASS_MACHINE, name="slow")
    refused = client_error_code(lambda: sfn.start_sync_execution(stateMachineArn=standard, input="{}"))
    assert refused == "StateMachineTypeNotSupported"


@gap("sfn_sync_execution")
def test_sfn_sync_execution_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_sync_execution()


def test_sfn_sync_execution_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_sync_execution"):
        check_sfn_sync_execution()


def test_sfn_sync_execution_runs_a_mock_config_test_case(moto_aws: None) -> None:
    """<arn>#<TestCase> works for StartSyncExecution as for StartExecution, express ARN and all."""
    sfn_local_hooks.set_mock_config(parse_mock_config(json.dumps(MOCK_CONFIG)))
    try:
        with REGISTRY.enabled("sfn_sync_execution", "sfn_express_executions", "sfn_mock_config"):
            sfn = sync_client()
            arn = create_express_machine(sfn, CHARGE_MACHINE, name="checkout")
            done = start_sync(sfn, stateMachineArn=f"{arn}#HappyPath", name="run", input="{}")
            assert done["status"] == "SUCCEEDED", done
            assert json.loads(done["output"]) == {"charged": True}
            assert done["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:checkout:run:")
            unmocked = start_sync(sfn, stateMachineArn=arn, input="{}")
            assert unmocked["status"] == "FAILED", "without the test case the missing function is called"
    finally:
        sfn_local_hooks.set_mock_config(None)


# --------------------------------------------------------------------------- sfn_execution_logs


def log_group_arn(name: str) -> str:
    logs = client("logs")
    logs.create_log_group(logGroupName=name)
    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return str(group["arn"])


def logging(group_arn: str, level: str, include_data: bool) -> dict[str, Any]:
    return {
        "level": level,
        "includeExecutionData": include_data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }


def logged(group: str) -> list[dict[str, Any]]:
    """The JSON records of the group's log streams, read once every execution thread has ended (the
    events are written by the execution's own thread, before it ends: no polling)."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    for thread in list(TMP_THREADS):
        thread.join(DEADLINE_SECONDS)
    events = client("logs").filter_log_events(logGroupName=group)["events"]
    return sorted((json.loads(event["message"]) for event in events), key=lambda r: int(r["id"]))


def check_sfn_execution_logs() -> None:
    sfn = client("stepfunctions")
    everything = "/aws/vendedlogs/states/all"
    arn = sfn.create_state_machine(
        name="logged",
        definition=json.dumps(PASS_MACHINE),
        roleArn=ROLE_ARN,
        loggingConfiguration=logging(log_group_arn(everything), "ALL", True),
    )["stateMachineArn"]
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="run", input='{"in": 1}')["executionArn"]
    assert finished_execution(sfn, execution_arn)["status"] == "SUCCEEDED"
    records = logged(everything)
    assert [r["type"] for r in records] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [r["id"] for r in records] == ["1", "2", "3", "4"]
    history = sfn.get_execution_history(executionArn=execution_arn)["events"]
    assert [r["previous_event_id"] for r in records] == [str(e["previousEventId"]) for e in history]
    assert {r["execution_arn"] for r in records} == {execution_arn}
    assert all(r["event_timestamp"].isdigit() and r["redrive_count"] == "0" for r in records)
    assert json.loads(records[0]["details"]["input"]) == {"in": 1}
    assert json.loads(records[-1]["details"]["output"]) == {"a": 1}

    errors_only = "/aws/vendedlogs/states/errors"
    failing = sfn.create_state_machine(
        name="failing",
        definition=json.dumps(FAIL_MACHINE),
        roleArn=ROLE_ARN,
        loggingConfiguration=logging(log_group_arn(errors_only), "ERROR", False),
    )["stateMachineArn"]
    failed_arn = sfn.start_execution(stateMachineArn=failing, name="run", input='{"secret": 1}')[
        "executionArn"
    ]
    assert finished_execution(sfn, failed_arn)["status"] == "FAILED"
    records = logged(errors_only)
    assert [r["type"] for r in records] == ["FailStateEntered", "ExecutionFailed"]
    assert all("input" not in r.get("details", {}) for r in records), "includeExecutionData false"
    assert records[-1]["details"]["error"] == "Boom"


@gap("sfn_execution_logs")
def test_sfn_execution_logs_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_execution_logs()


def test_sfn_execution_logs_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_execution_logs"):
        check_sfn_execution_logs()
