"""The unit-test resources really come from template.yaml."""

import json

import boto3

from tests.support.aws import load_template


def test_every_template_table_and_queue_exists_in_moto(template_resources):
    template = load_template()
    expected = {
        name
        for name, res in template["Resources"].items()
        if res["Type"] in {"AWS::DynamoDB::Table", "AWS::SQS::Queue"}
    }
    assert expected <= set(template_resources)


def test_tables_carry_the_template_keys_and_indexes(template_resources):
    ddb = boto3.client("dynamodb")
    users = ddb.describe_table(TableName=template_resources["UsersTable"])["Table"]
    assert users["KeySchema"] == [{"AttributeName": "userId", "KeyType": "HASH"}]
    assert [i["IndexName"] for i in users["GlobalSecondaryIndexes"]] == ["EmailIndex"]
    assert users["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    orders = ddb.describe_table(TableName=template_resources["OrdersTable"])["Table"]
    index = orders["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == "CustomerOrdersIndex"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["customerId", "createdAt"]


def test_queue_has_its_dead_letter_queue(template_resources):
    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(
        QueueUrl=template_resources["OrderNotificationsQueue"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=template_resources["OrderNotificationsDlq"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn
