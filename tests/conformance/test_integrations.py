"""Conformance: service integrations and their patterns, from "Integrating services with Step
Functions" (https://docs.aws.amazon.com/step-functions/latest/dg/integrate-services.html), "Discover
service integration patterns" (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html)
and each service's page (connect-lambda.html, connect-sqs.html, connect-sns.html, connect-ddb.html,
connect-eventbridge.html, connect-stepfunctions.html, supported-services-awssdk.html).

Request-response, ``.sync``/``.sync:2`` and ``.waitForTaskToken`` each have a case; the callbacks
are sent from the test thread once the task has handed out its token (no sleeps).
"""

from __future__ import annotations

import json
import queue
from typing import Any

from tests.conformance.harness import ACCOUNT, REGION, Conformance, client

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def single(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {**state, "End": True}}, **top}


# ----------------------------------------------------------------------------------------- Lambda


def test_lambda_invoke_request_response(aws: Conformance) -> None:
    """connect-lambda.html: lambda:invoke returns the Invoke response, the function's result in
    Payload, StatusCode 200."""
    arn = aws.function("echo", lambda event: {"got": event})
    done = aws.run(
        single(
            {"Type": "Task", "Resource": LAMBDA_INVOKE, "Parameters": {"FunctionName": arn, "Payload.$": "$"}}
        ),
        {"a": 1},
    )
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Payload"] == {"got": {"a": 1}}
    assert done.output["StatusCode"] == 200


def test_lambda_function_arn_as_resource(aws: Conformance) -> None:
    """connect-lambda.html: a function ARN as Resource: the state's result is the function's result."""
    arn = aws.function("echo2", lambda event: {"got": event})
    done = aws.run(single({"Type": "Task", "Resource": arn}), {"a": 1})
    assert done.output == {"got": {"a": 1}}


def test_lambda_wait_for_task_token_success(aws: Conformance) -> None:
    """connect-to-resource.html#connect-wait-token: the task pauses until SendTaskSuccess with its
    token; the callback's output is the result."""
    tokens: queue.Queue[str] = queue.Queue()
    arn = aws.function("hand-out", lambda event: tokens.put(event["token"]))
    definition = single(
        {
            "Type": "Task",
            "Resource": f"{LAMBDA_INVOKE}.waitForTaskToken",
            "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
        }
    )
    execution = aws.start(aws.create(definition), {})
    aws.sfn.send_task_success(taskToken=tokens.get(timeout=10), output=json.dumps({"approved": True}))
    done = aws.wait(execution)
    assert (done.status, done.output) == ("SUCCEEDED", {"approved": True})


def test_wait_for_task_token_failure_keeps_error_and_cause(aws: Conformance) -> None:
    """connect-to-resource.html#connect-wait-token and API_SendTaskFailure: the task fails with the
    callback's error and cause; a Catcher sees both."""
    tokens: queue.Queue[str] = queue.Queue()
    arn = aws.function("hand-out-2", lambda event: tokens.put(event["token"]))
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": f"{LAMBDA_INVOKE}.waitForTaskToken",
                "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    execution = aws.start(aws.create(definition), {})
    aws.sfn.send_task_failure(
        taskToken=tokens.get(timeout=10), error="Rejected", cause="the reviewer said no"
    )
    done = aws.wait(execution)
    assert done.output == {"Error": "Rejected", "Cause": "the reviewer said no"}


def test_heartbeat_expiry_is_states_heartbeat_timeout(aws: Conformance) -> None:
    """concepts-error-handling.html: States.HeartbeatTimeout, "a Task state failed to send a
    heartbeat for a period longer than the HeartbeatSeconds value" (1 s here, real time)."""
    arn = aws.function("silent", lambda event: None)
    definition = single(
        {
            "Type": "Task",
            "Resource": f"{LAMBDA_INVOKE}.waitForTaskToken",
            "HeartbeatSeconds": 1,
            "TimeoutSeconds": 30,
            "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
        }
    )
    done = aws.run(definition, {})
    assert (done.status, done.error) == ("FAILED", "States.HeartbeatTimeout")


def test_timeout_seconds_is_states_timeout(aws: Conformance) -> None:
    """concepts-error-handling.html: States.Timeout when a Task runs longer than TimeoutSeconds
    (1 s here, real time)."""
    arn = aws.function("silent-2", lambda event: None)
    definition = single(
        {
            "Type": "Task",
            "Resource": f"{LAMBDA_INVOKE}.waitForTaskToken",
            "TimeoutSeconds": 1,
            "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
        }
    )
    done = aws.run(definition, {})
    assert (done.status, done.error) == ("FAILED", "States.Timeout")


# ------------------------------------------------------------------------- optimized integrations


def test_sqs_send_message(aws: Conformance) -> None:
    """connect-sqs.html: sqs:sendMessage returns MessageId and MD5OfMessageBody; the message is queued."""
    url = client("sqs").create_queue(QueueName="conformance")["QueueUrl"]
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": url, "MessageBody.$": "$.message"},
        }
    )
    done = aws.run(definition, {"message": "Hello from Step Functions!"})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert {"MessageId", "MD5OfMessageBody"} <= set(done.output)
    messages = client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert messages[0]["Body"] == "Hello from Step Functions!"


def test_sns_publish(aws: Conformance) -> None:
    """connect-sns.html: sns:publish returns the MessageId."""
    topic = client("sns").create_topic(Name="conformance")["TopicArn"]
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": topic, "Message.$": "$.input.message"},
        }
    )
    done = aws.run(definition, {"input": {"message": "Hello"}})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert "MessageId" in done.output


def test_dynamodb_put_then_get_item(aws: Conformance) -> None:
    """connect-ddb.html: dynamodb:putItem then dynamodb:getItem returns {"Item": ...} in DynamoDB JSON."""
    client("dynamodb").create_table(
        TableName="MessagesTable",
        KeySchema=[{"AttributeName": "MessageId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "MessageId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": "MessagesTable",
                    "Item": {"MessageId": {"S.$": "$.id"}, "Body": {"S": "hello"}},
                },
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "MessagesTable", "Key": {"MessageId": {"S.$": "$.id"}}},
                "End": True,
            },
        },
    }
    done = aws.run(definition, {"id": "m-1"})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Item"] == {"MessageId": {"S": "m-1"}, "Body": {"S": "hello"}}


def test_eventbridge_put_events(aws: Conformance) -> None:
    """connect-eventbridge.html: events:putEvents returns Entries with EventIds and FailedEntryCount 0."""
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [
                    {
                        "Detail": {"Message": "MyMessage"},
                        "DetailType": "MyDetailType",
                        "EventBusName": "default",
                        "Source": "my.source",
                    }
                ]
            },
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["FailedEntryCount"] == 0
    assert done.output["Entries"][0]["EventId"]


def test_aws_sdk_s3_get_object_body_is_a_string(aws: Conformance) -> None:
    """supported-services-awssdk.html: an AWS SDK integration returns the API's response; a streamed
    S3 object body comes back as a string."""
    s3 = client("s3")
    s3.create_bucket(Bucket="sdk-bucket")
    s3.put_object(Bucket="sdk-bucket", Key="greeting.txt", Body=b"hello, world")
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "sdk-bucket", "Key": "greeting.txt"},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Body"] == "hello, world"


def test_aws_sdk_call_with_camel_case_action(aws: Conformance) -> None:
    """supported-services-awssdk.html: arn:aws:states:::aws-sdk:<service>:<apiAction>, the action in
    camelCase, the response's fields as the API names them."""
    client("sqs").create_queue(QueueName="listed")
    definition = single(
        {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues", "Parameters": {}}
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert any(url.endswith("/listed") for url in done.output["QueueUrls"])


# ------------------------------------------------------------------------------ Step Functions


def child_machine(aws: Conformance) -> str:
    return aws.create(
        {
            "StartAt": "Double",
            "States": {
                "Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}
            },
        }
    )


def test_start_execution_request_response(aws: Conformance) -> None:
    """connect-stepfunctions.html: states:startExecution returns ExecutionArn and StartDate."""
    child = child_machine(aws)
    done = aws.run(
        single(
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution",
                "Parameters": {"StateMachineArn": child, "Input": {"n": 2}},
            }
        ),
        {},
    )
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert ":execution:" in done.output["ExecutionArn"] and "StartDate" in done.output


def test_start_execution_sync_output_is_a_json_string(aws: Conformance) -> None:
    """connect-stepfunctions.html: .sync waits for the child; its Output is the child's output as a
    JSON string."""
    child = child_machine(aws)
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": child, "Input": {"n": 2}},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Status"] == "SUCCEEDED"
    assert json.loads(done.output["Output"]) == {"n": 4}


def test_start_execution_sync_2_output_is_json(aws: Conformance) -> None:
    """connect-stepfunctions.html: .sync:2 returns the child's Output as JSON, not a string."""
    child = child_machine(aws)
    definition = single(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child, "Input": {"n": 3}},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Output"] == {"n": 6}


def test_history_in_reverse_order(aws: Conformance) -> None:
    """API_GetExecutionHistory: reverseOrder lists the events newest first; maxResults pages them."""
    done = aws.run(single({"Type": "Pass"}), {})
    newest_first = aws.sfn.get_execution_history(executionArn=done.execution_arn, reverseOrder=True)["events"]
    assert newest_first[0]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in newest_first] == sorted((e["id"] for e in newest_first), reverse=True)
    page = aws.sfn.get_execution_history(executionArn=done.execution_arn, maxResults=2)
    assert len(page["events"]) == 2 and page.get("nextToken")


def test_execution_arn_names_the_account_and_region(aws: Conformance) -> None:
    """concepts-state-machine-executions.html: an execution ARN is
    arn:aws:states:<region>:<account>:execution:<state machine>:<name>."""
    done = aws.run(single({"Type": "Pass"}), {})
    assert done.execution_arn.startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:")
