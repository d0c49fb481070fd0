"""The local runtime's public interface, on the fixture app (tests/runtime/fixtures/app)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.runtime import InvokeResult, Route, fetch_outbox
from tests.runtime.runtime_support import run_execution
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e


def client(rt: Any, service: str) -> Any:
    return local_client(service, rt.endpoint_url)


def test_stack_outputs_and_resources_through_cloudformation(runtime: Any) -> None:
    cfn = client(runtime, "cloudformation")
    stack = cfn.describe_stacks(StackName="fx")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs == runtime.outputs
    assert outputs["ApiUrl"] == f"http://127.0.0.1:{runtime.api_port}/dev/"
    assert outputs["WorkflowArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:fx-Workflow"

    resources = cfn.describe_stack_resources(StackName="fx")["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    assert physical == runtime.resources
    assert all(physical.values()), "every resource has a physical id"
    # every resource of the transformed template is in the stack, nothing hand-listed
    assert set(physical) == set(runtime.transformed_template["Resources"])
    assert physical["SenderIdentity"] == "sender@example.com"
    assert physical["ApiStage"] == "dev"
    assert outputs["ItemsTableName"] == physical["ItemsTable"]
    assert client(runtime, "dynamodb").describe_table(TableName=physical["ItemsTable"])["Table"][
        "StreamSpecification"
    ]
    roles = {r["RoleName"] for r in client(runtime, "iam").list_roles()["Roles"]}
    assert physical["EchoFunctionRole"] in roles


def test_routes_and_stage_come_from_the_api_body(runtime: Any) -> None:
    echo = runtime.resources["EchoFunction"]
    assert sorted(runtime.routes, key=lambda r: (r.path, r.method)) == [
        Route("POST", "/echo", echo),
        Route("GET", "/echo/{name}", echo),
    ]
    assert runtime.api_stage == "dev"


def test_invoke_runs_the_real_handler_with_its_environment_and_context(runtime: Any) -> None:
    result = runtime.invoke(runtime.resources["EchoFunction"], {"hello": "world"})
    assert isinstance(result, InvokeResult)
    assert result.function_error is None
    payload = result.payload
    assert payload["event"] == {"hello": "world"}
    assert payload["echo_env"] == "echo-secret"
    assert payload["raiser_env"] is None
    assert payload["shared"] == "from-globals"
    assert payload["layer"] == "from-layer"
    assert payload["function_name"] == runtime.resources["EchoFunction"]
    assert payload["memory"] == "256"
    assert 0 < payload["remaining_ms"] <= 5000
    assert payload["endpoint"] == runtime.endpoint_url
    assert payload["trace_disabled"] == "true"
    assert payload["x_amzn_trace_id"] is None
    again = runtime.invoke("EchoFunction", {})  # a logical id works too
    assert again.cold_start is False
    assert again.payload["pid"] == payload["pid"], "kept warm"
    assert again.payload["invocations"] == payload["invocations"] + 1
    assert runtime.cold_starts[runtime.resources["EchoFunction"]] == 1


def test_errors_come_back_like_lambda(runtime: Any) -> None:
    result = runtime.invoke("RaiserFunction", {"raise": "widget"})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "OutOfStock"
    assert result.payload["errorMessage"] == "no stock for widget"
    assert any("raise OutOfStock" in line for line in result.payload["stackTrace"])
    assert not any("worker.py" in line for line in result.payload["stackTrace"])

    lam = client(runtime, "lambda")
    response = lam.invoke(FunctionName=runtime.resources["RaiserFunction"], Payload=b'{"raise": "x"}')
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "OutOfStock"
    ok = lam.invoke(FunctionName=runtime.resources["EchoFunction"], Payload=b'{"via": "api"}')
    assert "FunctionError" not in ok
    assert json.loads(ok["Payload"].read())["event"] == {"via": "api"}


def test_function_logs_go_to_a_file_per_function(runtime: Any) -> None:
    runtime.invoke("RaiserFunction", {"marker": 1})
    log = (runtime.state_dir / "logs" / "RaiserFunction.log").read_text()
    assert "raiser sees RAISER_ONLY = raiser-secret" in log
    assert "REPORT RequestId:" in log
    assert "ECHO_ONLY" not in log


def test_state_machine_runs_real_handlers_and_catch_sees_the_exception_class(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    rejected = run_execution(sfn, runtime.outputs["WorkflowArn"], {"raise": "widget"})
    assert rejected["status"] == "SUCCEEDED"
    output = json.loads(rejected["output"])
    assert output["status"] == "REJECTED"
    assert output["reason"] == "OutOfStock"
    assert json.loads(output["cause"])["errorMessage"] == "no stock for widget"
    parked = client(runtime, "sqs").receive_message(QueueUrl=runtime.resources["ParkedQueue"])["Messages"]
    assert [m["MessageId"] for m in parked] == [output["parkedMessageId"]]
    assert json.loads(parked[0]["Body"]) == {"error": "OutOfStock", "execution": rejected["name"]}

    passed = run_execution(sfn, runtime.outputs["WorkflowArn"], {"order": 7})
    assert passed["status"] == "SUCCEEDED"
    output = json.loads(passed["output"])
    assert output["event"]["order"] == 7
    assert output["event"]["raiser_env"] == "raiser-secret"


def test_an_express_state_machine_runs_sync_and_logs_its_errors_only(runtime: Any) -> None:
    """StartSyncExecution on the fixture's EXPRESS machine (Logging: Level ERROR, no data): the
    outcome in the answer, nothing describable, and only the error events in its log group."""
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=runtime.endpoint_url,
        region_name=runtime.region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(inject_host_prefix=False),  # no sync-127.0.0.1
    )
    fast = runtime.outputs["FastWorkflowArn"]

    rejected = sfn.start_sync_execution(stateMachineArn=fast, input=json.dumps({"raise": "gadget"}))
    passed = sfn.start_sync_execution(stateMachineArn=fast, input=json.dumps({"order": 8}))

    assert rejected["status"] == "SUCCEEDED" and json.loads(rejected["output"])["reason"] == "OutOfStock"
    assert passed["status"] == "SUCCEEDED" and json.loads(passed["output"])["event"]["order"] == 8
    assert ":express:fx-FastWorkflow:" in rejected["executionArn"]
    with pytest.raises(ClientError, match="InvalidArn"):
        sfn.describe_execution(executionArn=rejected["executionArn"])
    with pytest.raises(ClientError, match="StateMachineTypeNotSupported"):
        sfn.start_sync_execution(stateMachineArn=runtime.outputs["WorkflowArn"], input="{}")
    assert "fx-FastWorkflow" not in " ".join(runtime.running_executions())  # listing skips EXPRESS

    group = runtime.resources["FastWorkflowLogs"]
    events = client(runtime, "logs").filter_log_events(logGroupName=group)["events"]
    records = [json.loads(event["message"]) for event in events]
    assert [(r["type"], r["execution_arn"]) for r in records] == [("TaskFailed", rejected["executionArn"])]
    assert records[0]["details"]["error"] == "OutOfStock"
    assert "input" not in records[0]["details"] and "output" not in records[0]["details"]


def test_env_and_globals_are_isolated_under_concurrent_executions(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    results: dict[int, dict[str, Any]] = {}

    def run(i: int) -> None:
        results[i] = run_execution(client(runtime, "stepfunctions"), runtime.outputs["WorkflowArn"], {"n": i})

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    pids = set()
    for i, described in results.items():
        assert described["status"] == "SUCCEEDED", described
        echo = json.loads(described["output"])
        assert echo["event"]["n"] == i
        # Raiser saw only its variable, Echo only its own
        assert echo["event"]["raiser_env"] == "raiser-secret"
        assert echo["event"]["echo_env"] is None
        assert echo["echo_env"] == "echo-secret"
        assert echo["raiser_env"] is None
        pids.add(echo["pid"])
    raiser_pid = runtime.invoke("RaiserFunction", {})
    assert raiser_pid.function_error is None
    # concurrent invocations may take separate workers, as Lambda scales environments (the packages
    # tests hold the first at a gate to prove it); each saw only its own function's variables
    assert 1 <= len(pids) <= 2, pids
    assert sfn.list_executions(stateMachineArn=runtime.outputs["WorkflowArn"])["executions"]


def test_concurrent_direct_invokes_of_two_functions(runtime: Any) -> None:
    out: dict[str, InvokeResult] = {}

    def call(name: str) -> None:
        out[name] = runtime.invoke(name, {"sleep": 0.2} if name == "EchoFunction" else {})

    threads = [threading.Thread(target=call, args=(n,)) for n in ("EchoFunction", "RaiserFunction")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert out["EchoFunction"].payload["echo_env"] == "echo-secret"
    assert out["EchoFunction"].payload["raiser_env"] is None
    assert out["RaiserFunction"].payload["raiser_env"] == "raiser-secret"
    assert out["RaiserFunction"].payload["echo_env"] is None


def test_timeout_kills_the_worker_and_the_next_invoke_cold_starts(runtime: Any) -> None:
    """Only the looping call runs against SlowFunction's 1 s Timeout (the template's): the worker is
    started without an invocation (check_handlers), and the invoke that must succeed runs with a
    generous Timeout, so a loaded machine cannot time either out."""
    name = runtime.resources["SlowFunction"]
    runtime.check_handlers(["SlowFunction"])  # a warm worker, no invocation
    assert runtime.cold_starts[name] == 1
    timed_out = runtime.invoke(name, {"loop": True})
    assert timed_out.cold_start is False  # it ran on that warm worker
    assert timed_out.function_error == "Unhandled"
    assert timed_out.payload["errorType"] == "Sandbox.Timedout"
    assert timed_out.payload["errorMessage"] == "Task timed out after 1.00 seconds"
    assert 1000 <= timed_out.duration_ms < 5000
    # the timeout killed the worker: the function's next start is cold (a kept one would be reused)
    runtime.check_handlers(["SlowFunction"])
    assert runtime.cold_starts[name] == 2
    lam = client(runtime, "lambda")
    lam.update_function_configuration(FunctionName=name, Timeout=60)  # for the invoke that must succeed
    try:
        after = runtime.invoke(name, {})
    finally:
        lam.update_function_configuration(FunctionName=name, Timeout=1)
    assert after.function_error is None
    assert after.payload["remaining_ms"] > 1000  # it ran with the generous Timeout
    assert after.cold_start is True  # a new configuration: a new worker


def test_import_error_is_reported_at_invoke_and_by_check_handlers(runtime: Any) -> None:
    from orderflow.runtime import RuntimeStartError

    result = runtime.invoke("BrokenFunction", {})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ImportModuleError"
    assert "does_not_exist" in result.payload["errorMessage"]
    with pytest.raises(RuntimeStartError, match=r"^function BrokenFunction: Runtime.ImportModuleError: "):
        runtime.check_handlers()


def test_stream_mapping_filters_batches_and_mails(runtime: Any) -> None:
    table = local_client("dynamodb", runtime.endpoint_url, resource=True).Table(
        runtime.outputs["ItemsTableName"]
    )
    table.put_item(Item={"id": "a", "kind": "keep"})
    table.put_item(Item={"id": "b", "kind": "drop", "email": "b@example.com"})
    table.put_item(Item={"id": "c", "kind": "also-this"})
    table.put_item(Item={"id": "d", "kind": "other"})
    table.put_item(Item={"id": "e", "kind": "other", "email": "e@example.com"})
    table.delete_item(Key={"id": "a"})
    assert runtime.wait_for_streams(timeout=15)

    seen = client(runtime, "dynamodb").scan(TableName=runtime.resources["SeenTable"])["Items"]
    seen_ids = {item["pk"]["S"] for item in seen}
    assert {"a", "c", "e"} <= seen_ids
    assert not seen_ids & {"b", "d"}

    mails = [m for m in runtime.outbox() if m["to"] == "e@example.com"]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["subject"] == "Hi e"
    assert mail["body"] == "welcome"
    assert mail["from"] == "sender@example.com"
    assert mail["time"].endswith("Z")
    assert mail in fetch_outbox(runtime.endpoint_url)


def test_outbox_route_on_the_aws_port(runtime: Any) -> None:
    with urllib.request.urlopen(f"{runtime.endpoint_url}/_orderflow/outbox") as response:
        assert isinstance(json.loads(response.read()), list)
    with urllib.request.urlopen(f"{runtime.endpoint_url}/_orderflow/health") as response:
        assert json.loads(response.read())["status"] == "ok"


@pytest.mark.skipif(shutil.which("aws") is None, reason="AWS CLI not installed")
def test_aws_cli_with_endpoint_url(runtime: Any) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PATH": __import__("os").environ["PATH"],
    }
    out = subprocess.run(
        [
            "aws",
            "--endpoint-url",
            runtime.endpoint_url,
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "fx",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in json.loads(out.stdout)["Stacks"][0]["Outputs"]}
    assert outputs["ApiUrl"] == runtime.outputs["ApiUrl"]


def test_the_runtime_writes_its_admin_token_and_refuses_web_pages(runtime: Any) -> None:
    assert (runtime.state_dir / "admin-token").read_text().strip() == runtime.admin_token
    request = urllib.request.Request(
        f"{runtime.endpoint_url}/moto-api/reset",
        data=b"x",
        method="POST",
        headers={"Origin": "http://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert runtime.client("cloudformation").describe_stacks(StackName=runtime.stack_name)["Stacks"]


def test_an_invocation_runs_under_the_invoke_requests_id(runtime: Any) -> None:
    """As on AWS, the Invoke response's request id is the invocation's aws_request_id: the id on its
    START/END/REPORT lines, and the requestId of its error payload (the Python runtime's)."""
    lam = client(runtime, "lambda")
    response = lam.invoke(FunctionName=runtime.resources["RaiserFunction"], Payload=b'{"raise": "x"}')
    request_id = response["ResponseMetadata"]["RequestId"]
    assert json.loads(response["Payload"].read())["requestId"] == request_id
    log = (runtime.state_dir / "logs" / "RaiserFunction.log").read_text()
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert f"REPORT RequestId: {request_id}\t" in log


def test_the_history_names_each_lambda_invoke_attempts_invocation(runtime: Any) -> None:
    """lambda:invoke's result carries the invocation's request id (SdkResponseMetadata), a function
    error's cause its requestId; a function ARN as Resource gives none (as on AWS)."""
    from orderflow.console import model

    sfn = client(runtime, "stepfunctions")
    log_of = {name: runtime.state_dir / "logs" / f"{name}.log" for name in ("RaiserFunction", "EchoFunction")}
    for data, raised in (({"order": 7}, False), ({"raise": "widget"}, True)):
        execution = run_execution(sfn, runtime.outputs["WorkflowArn"], data)
        events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        states = model.outcomes(events)["states"]
        [attempt] = states["Raise"]["attempts"]
        assert attempt["invoked"] is True and attempt["status"] == ("failed" if raised else "succeeded")
        assert f"START RequestId: {attempt['requestId']} " in log_of["RaiserFunction"].read_text()
        if not raised:
            [echo] = states["Echo"]["attempts"]
            assert (echo["requestId"], echo["invoked"]) == (None, True)
