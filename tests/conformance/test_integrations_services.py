"""Conformance: the optimized integrations of the developer guide that test_integrations.py does not
cover, one case per integration and pattern the embedded AWS (moto) can host, each asserting the
response shape its page documents.

Pages: "Create and manage Amazon DynamoDB items with Step Functions" (connect-ddb.html), "Invoke an
AWS Lambda function with Step Functions" (connect-lambda.html), "Run AWS Glue jobs with Step
Functions" (connect-glue.html), "Run Amazon ECS or Fargate tasks with Step Functions"
(connect-ecs.html), "Run AWS Batch workloads with Step Functions" (connect-batch.html), "Send messages
to an Amazon SQS queue" (connect-sqs.html), "Using AWS SDK service integrations"
(supported-services-awssdk.html).

What cannot be hosted, and why (also in docs/asl-coverage.md): ``batch:submitJob.sync`` (moto runs a
Batch job in a Docker container; there is none here, so the job never succeeds), API Gateway
``apigateway:invoke`` (the integration calls the stage's HTTP endpoint, which in-process moto does not
serve), and the optimized integrations moto's interpreter has no code for (Athena, CodeBuild, EMR,
EKS, SageMaker, Bedrock, ...): it refuses their resources; their APIs that moto hosts are reachable
through ``aws-sdk:<service>:<action>``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conformance.harness import ACCOUNT, REGION, ROLE_ARN, Conformance, client


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", **state, "End": True}}}


# --------------------------------------------------------------------------------------- DynamoDB


def _messages_table(name: str) -> None:
    client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "MessageId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "MessageId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client("dynamodb").put_item(TableName=name, Item={"MessageId": {"S": "m-1"}, "Body": {"S": "old"}})


def test_dynamodb_update_item(aws: Conformance) -> None:
    """connect-ddb.html, updateItem: the response of UpdateItem; with ReturnValues UPDATED_NEW its
    Attributes are the updated attributes in DynamoDB JSON."""
    _messages_table("UpdateTable")
    definition = single(
        {
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": "UpdateTable",
                "Key": {"MessageId": {"S": "m-1"}},
                "UpdateExpression": "SET Body = :body",
                "ExpressionAttributeValues": {":body": {"S.$": "$.body"}},
                "ReturnValues": "UPDATED_NEW",
            },
        }
    )
    done = aws.run(definition, {"body": "new"})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Attributes"] == {"Body": {"S": "new"}}
    item = client("dynamodb").get_item(TableName="UpdateTable", Key={"MessageId": {"S": "m-1"}})["Item"]
    assert item["Body"] == {"S": "new"}


def test_dynamodb_delete_item(aws: Conformance) -> None:
    """connect-ddb.html, deleteItem: the item is deleted; ReturnValues ALL_OLD gives it back as
    Attributes."""
    _messages_table("DeleteTable")
    definition = single(
        {
            "Resource": "arn:aws:states:::dynamodb:deleteItem",
            "Parameters": {
                "TableName": "DeleteTable",
                "Key": {"MessageId": {"S": "m-1"}},
                "ReturnValues": "ALL_OLD",
            },
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["Attributes"] == {"MessageId": {"S": "m-1"}, "Body": {"S": "old"}}
    assert "Item" not in client("dynamodb").get_item(TableName="DeleteTable", Key={"MessageId": {"S": "m-1"}})


# ----------------------------------------------------------------------------------------- Lambda


def test_lambda_invoke_event_is_asynchronous(aws: Conformance) -> None:
    """connect-lambda.html: InvocationType "Event" invokes the function asynchronously; the task's
    result has StatusCode 202 and no payload of the function."""
    arn = aws.function("async-target", lambda event: {"seen": event})
    definition = single(
        {
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": arn, "InvocationType": "Event", "Payload": {"a": 1}},
        }
    )
    done = aws.run(definition, {})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["StatusCode"] == 202
    assert done.output["Payload"] in ("", None)
    assert aws.functions.calls == [("async-target", {"a": 1})]


# ------------------------------------------------------------------------------------------- Glue


def _glue_job(name: str) -> None:
    client("glue").create_job(
        Name=name, Role=ROLE_ARN, Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"}
    )


def test_glue_start_job_run_request_response(aws: Conformance) -> None:
    """connect-glue.html: glue:startJobRun returns at once with the JobRunId (and the JobName)."""
    _glue_job("etl-request")
    done = aws.run(
        single({"Resource": "arn:aws:states:::glue:startJobRun", "Parameters": {"JobName": "etl-request"}})
    )
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["JobName"] == "etl-request"
    run_id = done.output["JobRunId"]
    assert client("glue").get_job_run(JobName="etl-request", RunId=run_id)["JobRun"]["Id"] == run_id


def test_glue_start_job_run_sync(aws: Conformance) -> None:
    """connect-glue.html: glue:startJobRun.sync waits for the run to end; the result is the job run
    (GetJobRun's JobRun: Id, JobName, JobRunState SUCCEEDED, StartedOn/CompletedOn)."""
    _glue_job("etl-sync")
    done = aws.run(
        single({"Resource": "arn:aws:states:::glue:startJobRun.sync", "Parameters": {"JobName": "etl-sync"}})
    )
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert (done.output["JobName"], done.output["JobRunState"]) == ("etl-sync", "SUCCEEDED")
    assert {"Id", "StartedOn", "CompletedOn"} <= set(done.output)


# -------------------------------------------------------------------------------------------- ECS


def _fargate(cluster: str) -> dict[str, Any]:
    client("ecs").create_cluster(clusterName=cluster)
    client("ecs").register_task_definition(
        family="worker", containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}]
    )
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    return {
        "Cluster": cluster,
        "TaskDefinition": "worker",
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [subnet]}},
    }


def test_ecs_run_task_request_response(aws: Conformance) -> None:
    """connect-ecs.html: ecs:runTask returns RunTask's response: Tasks (the started task) and Failures."""
    parameters = _fargate("run-request")
    done = aws.run(single({"Resource": "arn:aws:states:::ecs:runTask", "Parameters": parameters}))
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    [task] = done.output["Tasks"]
    assert done.output["Failures"] == []
    assert task["ClusterArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/run-request"
    assert task["TaskDefinitionArn"].endswith(":task-definition/worker:1")


def test_ecs_run_task_sync(aws: Conformance) -> None:
    """connect-ecs.html: ecs:runTask.sync waits for the task to stop; the result is the task as
    DescribeTasks gives it (LastStatus STOPPED)."""
    parameters = _fargate("run-sync")
    done = aws.run(single({"Resource": "arn:aws:states:::ecs:runTask.sync", "Parameters": parameters}))
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["LastStatus"] == "STOPPED"
    assert done.output["TaskArn"].startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/")


# ------------------------------------------------------------------------------------------ Batch


def test_batch_submit_job_request_response(aws: Conformance) -> None:
    """connect-batch.html: batch:submitJob returns SubmitJob's response: JobArn, JobId, JobName."""
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="batch", Description="batch", VpcId=vpc)["GroupId"]
    batch = client("batch")
    environment = batch.create_compute_environment(
        computeEnvironmentName="compute-env",
        type="MANAGED",
        state="ENABLED",
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": [subnet], "securityGroupIds": [group]},
        serviceRole=ROLE_ARN,
    )["computeEnvironmentArn"]
    batch.create_job_queue(
        jobQueueName="jobs",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )
    batch.register_job_definition(
        jobDefinitionName="report",
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128},
    )
    definition = single(
        {
            "Resource": "arn:aws:states:::batch:submitJob",
            "Parameters": {"JobName": "monthly-report", "JobQueue": "jobs", "JobDefinition": "report"},
        }
    )
    done = aws.run(definition)
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["JobName"] == "monthly-report"
    assert done.output["JobArn"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{done.output['JobId']}"


# -------------------------------------------------------------------------------------------- SQS


def test_sqs_send_message_wait_for_task_token(aws: Conformance) -> None:
    """connect-sqs.html and connect-to-resource.html#connect-wait-token: the message carries the task
    token; the task waits until SendTaskSuccess, whose output is the task's result."""
    url = client("sqs").create_queue(QueueName="callbacks")["QueueUrl"]
    definition = single(
        {
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {
                "QueueUrl": url,
                "MessageBody": {"order.$": "$.order", "token.$": "$$.Task.Token"},
            },
        }
    )
    execution = aws.start(aws.create(definition), {"order": "o-1"})
    # a long poll answers as soon as the task has sent its message
    [message] = client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["order"] == "o-1"
    client("stepfunctions").send_task_success(taskToken=body["token"], output=json.dumps({"shipped": True}))
    done = aws.wait(execution)
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output == {"shipped": True}


# ---------------------------------------------------------------------------------------- AWS SDK


def test_aws_sdk_s3_put_object_then_list(aws: Conformance) -> None:
    """supported-services-awssdk.html: aws-sdk:s3:putObject returns PutObject's response (ETag);
    aws-sdk:s3:listObjectsV2 returns its response with the member names capitalised (Contents, Key)."""
    client("s3").create_bucket(Bucket="sdk-bucket")
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": "sdk-bucket", "Key": "notes.txt", "Body.$": "$.text"},
                "ResultPath": "$.put",
                "Next": "List",
            },
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                "Parameters": {"Bucket": "sdk-bucket"},
                "ResultSelector": {"keys.$": "$.Contents[*].Key", "count.$": "$.KeyCount"},
                "ResultPath": "$.listed",
                "End": True,
            },
        },
    }
    done = aws.run(definition, {"text": "hello"})
    assert done.status == "SUCCEEDED", (done.error, done.cause)
    assert done.output["put"]["ETag"].strip('"')
    assert done.output["listed"] == {"keys": ["notes.txt"], "count": 1}
    body = client("s3").get_object(Bucket="sdk-bucket", Key="notes.txt")["Body"].read()
    assert body == b"hello"
