"""iam_role_sessions, iam_cfn_managed_policies, sfn_task_role (runtime/moto/iam.py): a role session's
requests evaluated against its policies, managed policies from CloudFormation, the state machine's role.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from orderflow.runtime.moto import REGISTRY
from tests.moto_patches.support import (
    ACCOUNT,
    REGION,
    client,
    create_stack,
    finished_execution,
    gap,
    stack_resources,
)

# ---------------------------------------------------------------------------- iam_role_sessions

TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def session_client(service: str, role_arn: str, session_name: str = "fn") -> Any:
    """A client signed with a fresh session of ``role_arn`` (as Lambda gives a function)."""
    credentials = client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def simple_table(name: str) -> str:
    return client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]


def check_iam_role_sessions() -> None:
    allowed_arn = simple_table("allowed")
    simple_table("other")
    iam = client("iam")
    role_arn = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": allowed_arn}],
    }
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(policy))
    session = session_client("dynamodb", role_arn)
    key = {"pk": {"S": "k"}}
    session.get_item(TableName="allowed", Key=key)  # scoped to its table ARN: allowed
    try:
        session.get_item(TableName="other", Key=key)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDeniedException"
        message = exc.response["Error"]["Message"]
        assert message == (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/fn is not authorized to perform: "
            "dynamodb:GetItem "
            f"on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other because no identity-based policy "
            "allows the dynamodb:GetItem action"
        ), message
    else:
        raise AssertionError("a role session read a table its policy does not name")
    # a transaction is authorised per item: PutItem on "allowed" is not granted
    try:
        session.transact_write_items(TransactItems=[{"Put": {"TableName": "allowed", "Item": key}}])
    except ClientError as exc:
        assert "dynamodb:PutItem on resource: " + allowed_arn in exc.response["Error"]["Message"]
    else:
        raise AssertionError("a transaction's Put ran without dynamodb:PutItem")
    assert "Item" not in client("dynamodb").get_item(TableName="allowed", Key=key)
    # any other key (made-up credentials) is the account's administrator
    client("dynamodb").delete_table(TableName="other")


@gap("iam_role_sessions")
def test_iam_role_sessions_gap_in_plain_moto(moto_aws: None) -> None:
    check_iam_role_sessions()


def test_iam_role_sessions_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_role_sessions"):
        check_iam_role_sessions()


# --------------------------------------------------------------------- iam_cfn_managed_policies

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def check_iam_cfn_managed_policies() -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": json.loads(TRUST_LAMBDA),
                    "ManagedPolicyArns": [BASIC_EXECUTION],
                },
            }
        }
    }
    assert create_stack(template)["StackStatus"] == "CREATE_COMPLETE"
    name = stack_resources()["Role"]["PhysicalResourceId"]
    iam = client("iam")
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    assert attached == [BASIC_EXECUTION]
    policy = iam.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]
    document = iam.get_policy_version(PolicyArn=BASIC_EXECUTION, VersionId=policy["DefaultVersionId"])
    statement = document["PolicyVersion"]["Document"]["Statement"][0]
    assert statement["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


@gap("iam_cfn_managed_policies")
def test_iam_cfn_managed_policies_gap_in_plain_moto(moto_aws: None) -> None:
    check_iam_cfn_managed_policies()


def test_iam_cfn_managed_policies_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_cfn_managed_policies"):
        check_iam_cfn_managed_policies()


# -------------------------------------------------------------------------------- sfn_task_role

TRUST_STATES = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def check_sfn_task_role() -> None:
    sqs = client("sqs")
    allowed = sqs.create_queue(QueueName="allowed")["QueueUrl"]
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    allowed_arn = sqs.get_queue_attributes(QueueUrl=allowed, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    iam = client("iam")
    role_arn = iam.create_role(RoleName="machine", AssumeRolePolicyDocument=TRUST_STATES)["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": allowed_arn}],
    }
    iam.put_role_policy(RoleName="machine", PolicyName="send", PolicyDocument=json.dumps(policy))
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": other, "MessageBody": "hi"},
                "End": True,
            }
        },
    }
    sfn = client("stepfunctions")
    arn = sfn.create_state_machine(name="sender", definition=json.dumps(definition), roleArn=role_arn)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn, name="run", input="{}")
    finished = finished_execution(sfn, execution["executionArn"])
    assert finished["status"] == "FAILED", "the state machine's role does not allow sending to that queue"
    assert "is not authorized to perform: sqs:SendMessage" in finished.get("cause", ""), finished
    assert "Messages" not in sqs.receive_message(QueueUrl=other)


@gap("sfn_task_role")
def test_sfn_task_role_gap_in_plain_moto(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_role_sessions"):  # without evaluation nothing could tell the role apart
        check_sfn_task_role()


def test_sfn_task_role_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("iam_role_sessions", "sfn_task_role"):
        check_sfn_task_role()
