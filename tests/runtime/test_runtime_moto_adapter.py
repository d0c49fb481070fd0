"""The runtime's moto patches (orderflow.runtime.moto) on the fixture stack, one test per patch."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from orderflow.runtime.moto import cloudformation
from tests.runtime.runtime_support import run_execution
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e


def client(rt: Any, service: str) -> Any:
    return local_client(service, rt.endpoint_url)


def test_a_cfn_state_machine_is_executable_with_substitutions(runtime: Any) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    arn = runtime.outputs["WorkflowArn"]
    definition = client(runtime, "stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    assert "${" not in definition
    states = json.loads(definition)["States"]
    raiser_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{runtime.resources['RaiserFunction']}"
    assert states["Raise"]["Parameters"]["FunctionName"] == raiser_arn
    assert states["Echo"]["Resource"].endswith(runtime.resources["EchoFunction"])
    parser_backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    assert sorted(sm.arn for sm in parser_backend.state_machines) == [runtime.outputs["FastWorkflowArn"], arn]
    # "Echo" is a plain function ARN task, "Raise" an arn:aws:states:::lambda:invoke one
    assert run_execution(client(runtime, "stepfunctions"), arn, {"x": 1})["status"] == "SUCCEEDED"


def test_b_executions_without_a_name_get_a_uuid(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    arn = runtime.outputs["WorkflowArn"]
    first = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert first != second
    assert not first.endswith(":None")
    for execution_arn in (first, second):
        assert run_execution_done(sfn, execution_arn)["status"] == "SUCCEEDED"

    from moto.stepfunctions.parser.utils import TMP_THREADS

    for _ in range(3):
        run_execution(sfn, arn, {})
    finished = [thread for thread in TMP_THREADS if not thread.is_alive()]
    # one execution of this workflow leaves 5 (the worker, sfn_stop_prompt's program thread, moto's
    # program thread, tasks); unpruned, the 3 runs alone leave 15
    assert len(finished) <= 5, "only the last execution's threads, not every execution's"


def run_execution_done(sfn: Any, execution_arn: str) -> dict[str, Any]:
    from tests.runtime.runtime_support import wait_execution

    return wait_execution(sfn, execution_arn)


def test_c_partial_batch_failure_retries_from_the_failed_record_then_on_failure(
    runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(runtime.streams, "sleep", waits.append)  # the backoff, without waiting
    dynamodb = client(runtime, "dynamodb")
    table = runtime.outputs["ItemsTableName"]
    for item_id, fail in (("f1", False), ("f2", True), ("f3", False)):
        item = {"id": {"S": item_id}, "kind": {"S": "keep"}}
        if fail:
            item["fail"] = {"BOOL": True}
        dynamodb.put_item(TableName=table, Item=item)
    assert runtime.wait_for_streams(timeout=15)

    def attempts(item_id: str) -> int:
        item = dynamodb.get_item(TableName=runtime.resources["SeenTable"], Key={"pk": {"S": item_id}})["Item"]
        return int(item["attempts"]["N"])

    assert attempts("f1") == 1, "records before the failed one are done"
    assert attempts("f2") == 3, "1 attempt + MaximumRetryAttempts 2"
    assert 1 <= attempts("f3") <= 3
    assert waits == [1, 2], "a growing wait before each retry"

    sqs = client(runtime, "sqs")
    messages = sqs.receive_message(QueueUrl=runtime.outputs["FailuresQueueUrl"], MaxNumberOfMessages=10)
    records = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    failed = [r for r in records if r["requestContext"]["condition"] == "RetryAttemptsExhausted"]
    assert len(failed) == 1
    info = failed[0]["DDBStreamBatchInfo"]
    assert info["streamArn"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/")
    assert failed[0]["requestContext"]["approximateInvokeCount"] == 3

    # the shard keeps its records for other readers (moto used to drop them after the invoke)
    streams = client(runtime, "dynamodbstreams")
    stream_arn = streams.list_streams(TableName=table)["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    keys = {r["dynamodb"]["Keys"]["id"]["S"] for r in streams.get_records(ShardIterator=iterator)["Records"]}
    assert {"f1", "f2", "f3"} <= keys
    assert info["startSequenceNumber"] is not None


def test_d_invoke_without_docker_sync_and_event(runtime: Any) -> None:
    lam = client(runtime, "lambda")
    name = runtime.resources["StreamFunction"]
    event = {"Records": [{"dynamodb": {"NewImage": {"id": {"S": "async-1"}}, "SequenceNumber": "1"}}]}
    response = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event).encode())
    assert response["StatusCode"] == 202
    dynamodb = client(runtime, "dynamodb")
    deadline = time.monotonic() + 15
    while "Item" not in dynamodb.get_item(
        TableName=runtime.resources["SeenTable"], Key={"pk": {"S": "async-1"}}
    ):
        assert time.monotonic() < deadline, "the Event invocation never ran"
        time.sleep(0.01)


def test_e_cfn_functions_keep_their_layers(runtime: Any) -> None:
    config = client(runtime, "lambda").get_function(FunctionName=runtime.resources["EchoFunction"])[
        "Configuration"
    ]
    layer_ids = [k for k, v in runtime.resource_types.items() if v == "AWS::Lambda::LayerVersion"]
    assert [layer["Arn"] for layer in config["Layers"]] == [runtime.resources[layer_ids[0]]]


def test_f_rest_api_body_is_imported(runtime: Any) -> None:
    apigw = client(runtime, "apigateway")
    api_id = runtime.resources["Api"]
    items = apigw.get_resources(restApiId=api_id)["items"]
    methods = {(r["path"], m) for r in items for m in r.get("resourceMethods", {})}
    assert {("/echo", "POST"), ("/echo/{name}", "GET")} <= methods


def test_g_stage_email_identity_and_placeholders(runtime: Any) -> None:
    stages = client(runtime, "apigateway").get_stages(restApiId=runtime.resources["Api"])["item"]
    assert [s["stageName"] for s in stages if s["stageName"] == "dev"] == ["dev"]
    ses = client(runtime, "ses")
    assert "sender@example.com" in ses.list_identities()["Identities"]
    ses.send_email(  # accepted only because the template's identity is verified
        Source="sender@example.com",
        Destination={"ToAddresses": ["someone@example.com"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
    )
    alarms = client(runtime, "cloudwatch").describe_alarms(
        AlarmNames=[runtime.resources["RaiserErrorsAlarm"]]
    )["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == [runtime.resources["RaiserErrorsAlarm"]]
    assert alarms[0]["Dimensions"] == [{"Name": "FunctionName", "Value": runtime.resources["RaiserFunction"]}]
    assert runtime.outputs["RaiserErrorsAlarmArn"] == alarms[0]["AlarmArn"], "!GetAtt Alarm.Arn resolves"
    placeholders = cloudformation.placeholder_resources()
    assert [(logical, rtype) for logical, rtype, _ in placeholders] == [
        ("RaiserErrorLines", "AWS::Logs::MetricFilter")
    ]
    assert runtime.resources["RaiserErrorLines"]


def test_j_definitions_are_parsed_once(runtime: Any) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = client(runtime, "stepfunctions").describe_state_machine(
        stateMachineArn=runtime.outputs["WorkflowArn"]
    )["definition"]
    first = AmazonStateLanguageParser.parse(definition)
    run_execution(client(runtime, "stepfunctions"), runtime.outputs["WorkflowArn"], {})
    assert AmazonStateLanguageParser.parse(definition) is first


def test_i_lambda_tasks_map_lambda_client_errors(runtime: Any) -> None:
    sfn = client(runtime, "stepfunctions")
    missing = "arn:aws:lambda:us-east-1:123456789012:function:does-not-exist"
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": missing, "Payload": {}},
                "End": True,
            }
        },
    }
    iam = client(runtime, "iam")
    role_arn = iam.create_role(RoleName="invoke-any", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="invoke-any", PolicyName="invoke", PolicyDocument=json.dumps(allow))
    arn = sfn.create_state_machine(name="missing-fn", definition=json.dumps(definition), roleArn=role_arn)[
        "stateMachineArn"
    ]
    result = run_execution(sfn, arn, {})
    assert result["status"] == "FAILED"
    assert result["error"] == "Lambda.ResourceNotFoundException"
    # the same task under a role without lambda:InvokeFunction is refused before any lookup, as on AWS
    iam.create_role(RoleName="no-invoke", AssumeRolePolicyDocument="{}")
    arn = sfn.create_state_machine(
        name="no-invoke",
        definition=json.dumps(definition),
        roleArn=role_arn.replace("invoke-any", "no-invoke"),
    )["stateMachineArn"]
    result = run_execution(sfn, arn, {})
    assert result["status"] == "FAILED"
    assert result["error"] == "Lambda.AccessDeniedException"
    assert "assumed-role/no-invoke/" in result["cause"]
    assert f"not authorized to perform: lambda:InvokeFunction on resource: {missing}" in result["cause"]


def test_l_cancelled_transactions_roll_back_items_and_their_stream_records(runtime: Any) -> None:
    dynamodb = client(runtime, "dynamodb")
    table = runtime.outputs["ItemsTableName"]
    dynamodb.put_item(TableName=table, Item={"id": {"S": "tx-existing"}, "kind": {"S": "other"}})
    cancelled = [
        {"Put": {"TableName": table, "Item": {"id": {"S": "tx-new"}, "kind": {"S": "keep"}}}},
        {
            "Update": {
                "TableName": table,
                "Key": {"id": {"S": "tx-existing"}},
                "UpdateExpression": "SET kind = :k",
                "ExpressionAttributeValues": {":k": {"S": "keep"}},
            }
        },
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": {"id": {"S": "tx-missing"}},
                "ConditionExpression": "attribute_exists(id)",
            }
        },
    ]
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=cancelled)
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"S": "tx-new"}})
    existing = dynamodb.get_item(TableName=table, Key={"id": {"S": "tx-existing"}})["Item"]
    assert existing["kind"] == {"S": "other"}

    dynamodb.transact_write_items(
        TransactItems=[
            *cancelled[:1],
            {"Put": {"TableName": table, "Item": {"id": {"S": "tx-2"}, "kind": {"S": "keep"}}}},
        ]
    )
    assert runtime.wait_for_streams(timeout=15)
    seen = client(runtime, "dynamodb").scan(TableName=runtime.resources["SeenTable"])["Items"]
    attempts = {item["pk"]["S"]: int(item["attempts"]["N"]) for item in seen}
    assert attempts["tx-new"] == 1, "delivered once: on commit, not for the cancelled attempt"
    assert attempts["tx-2"] == 1
    assert "tx-existing" not in attempts


def test_h_a_failing_resource_fails_the_stack_with_its_name(runtime: Any) -> None:
    cfn = client(runtime, "cloudformation")
    template = {
        "Resources": {
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": runtime.resources["EchoFunction"],
                    "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:no-such-queue",
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue"},
        },
        # With Outputs, DescribeStacks answered 500 {"message": "Internal server error"}: the failed
        # resource was created again while the outputs were read.
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}, "MappingId": {"Value": {"Ref": "Mapping"}}},
    }
    cfn.create_stack(StackName="broken", TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName="broken")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Outputs" not in stack
    assert cfn.describe_stack_resources(StackName="broken")["StackResources"] == []
    events = cfn.describe_stack_events(StackName="broken")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceType"]) for e in failed] == [
        ("Mapping", "AWS::Lambda::EventSourceMapping")
    ]
    assert failed[0]["ResourceStatusReason"].startswith("Invalid EventSourceArn")
    assert events[0]["ResourceStatus"] == "ROLLBACK_COMPLETE", "newest first"


def test_k_jsonpath_expressions_are_compiled_once(runtime: Any) -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    assert json_path.parse("$.order.items[0]") is json_path.parse("$.order.items[0]")
    assert json_path.extract_json("$.a.b", {"a": {"b": 1}}) == 1


def test_m_the_interpreter_copies_json_documents_without_deepcopy(runtime: Any) -> None:
    import copy

    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.eval import states

    from orderflow.runtime.moto.interpreter import json_deepcopy

    assert states.copy.deepcopy is json_deepcopy
    assert execute_state.copy.deepcopy is json_deepcopy
    assert states.copy.copy is copy.copy  # the rest of the copy module is still there

    class Opaque:
        def __init__(self) -> None:
            self.items = [1]

    document = {"a": [{"b": 1.5, "c": None, "d": True}, "x"], "opaque": Opaque()}
    copied = json_deepcopy(document)
    assert copied["a"] == document["a"]
    copied["a"][0]["b"] = 2
    copied["a"].append("y")
    assert document["a"] == [{"b": 1.5, "c": None, "d": True}, "x"]  # independent, like deepcopy
    assert copied["opaque"] is not document["opaque"]  # other objects: copy.deepcopy
    assert copied["opaque"].items == [1] and copied["opaque"].items is not document["opaque"].items
    memo: dict[int, Any] = {}
    assert json_deepcopy(document["a"], memo) == document["a"] and memo  # the memo form is deepcopy's

    # and executions still run on it: a Lambda task's result and a caught error's cause pass through
    sfn = client(runtime, "stepfunctions")
    passed = run_execution(sfn, runtime.outputs["WorkflowArn"], {"order": 8})
    assert passed["status"] == "SUCCEEDED"
    assert json.loads(passed["output"])["event"]["order"] == 8
    rejected = json.loads(run_execution(sfn, runtime.outputs["WorkflowArn"], {"raise": "gadget"})["output"])
    assert (rejected["status"], rejected["reason"]) == ("REJECTED", "OutOfStock")
