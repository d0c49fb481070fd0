"""The template with ``WorkflowType=EXPRESS``, through `orderflow up` as a user starts it: POST /orders
waits for the outcome (StartSyncExecution), executions are not describable, the history comes from
the workflow's log group, and mock config test cases run as sync executions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orderflow.api.client import ApiClient
from orderflow.cli import main
from tests.e2e.e2e_support import ROOT
from tests.e2e.early_support import EARLY, EXPRESS_PORTS
from tests.e2e.idempotency_support import post_with_key

pytestmark = pytest.mark.e2e


@dataclass
class ExpressStack:
    endpoint: str
    region: str
    api: ApiClient

    def client(self, service: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(**config),
        )

    def sfn(self) -> Any:
        # botocore would send StartSyncExecution to sync-127.0.0.1, a host that does not exist
        return self.client("stepfunctions", inject_host_prefix=False)

    def resource_id(self, logical_id: str) -> str:
        resources = self.client("cloudformation").describe_stack_resources(StackName="orderflow")
        [found] = [r for r in resources["StackResources"] if r["LogicalResourceId"] == logical_id]
        return str(found["PhysicalResourceId"])

    def seed(self, **stock: int) -> dict[str, str]:
        prefix = uuid.uuid4().hex[:8]
        ids = {name: f"{prefix}-{name}" for name in stock}
        dynamodb = boto3.resource(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        table = dynamodb.Table(self.resource_id("ProductsTable"))
        for name, count in stock.items():
            table.put_item(
                Item={"productId": ids[name], "name": name, "price": Decimal("2.50"), "stock": count}
            )
        return ids

    def stock(self, product_id: str) -> int:
        item = self.client("dynamodb").get_item(
            TableName=self.resource_id("ProductsTable"),
            Key={"productId": {"S": product_id}},
            ConsistentRead=True,
        )["Item"]
        return int(item["stock"]["N"])


@pytest.fixture(scope="module")
def express() -> Iterator[ExpressStack]:
    proc = EARLY.start("express-up")  # usually started when the session was collected
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()  # blocks until the ready line (or EOF if up died)
        match = re.match(
            r"orderflow ready  aws=(\S+)  api=(\S+)  (?:console=\S+  )?\(stack orderflow, region (\S+),",
            ready,
        )
        assert match, (ready, proc.poll() is not None and proc.communicate()[1][-2000:])
        endpoint, api_url, region = match.groups()
        assert endpoint.endswith(f":{EXPRESS_PORTS[1]}")
        yield ExpressStack(endpoint, region, ApiClient(api_url))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def order(order_id: str | None = None, **quantities: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": "c-express",
        "items": [{"productId": p, "quantity": q} for p, q in quantities.items()],
    }
    if order_id:
        body["orderId"] = order_id
    return body


def test_express_post_answers_the_confirmed_order_and_get_reads_it_back(express: ExpressStack) -> None:
    ids = express.seed(cup=5)

    status, body = express.api.post("/orders", order(**{ids["cup"]: 2}))

    assert status == 201, body
    assert body["status"] == "CONFIRMED"
    assert body["totalAmount"] == "5.00"
    assert body["notification"]["status"] == "SENT"
    assert express.stock(ids["cup"]) == 3
    status, read = express.api.get(f"/orders/{body['orderId']}")
    assert status == 200 and read["status"] == "CONFIRMED" and read["totalAmount"] == "5.00", read
    again, same = express.api.post("/orders", order(body["orderId"], **{ids["cup"]: 2}))
    assert again == 201 and same["status"] == "CONFIRMED" and same["totalAmount"] == "5.00", same
    other, conflict = express.api.post("/orders", order(body["orderId"], **{ids["cup"]: 1}))
    assert other == 422 and "different order" in conflict["message"], conflict
    assert express.stock(ids["cup"]) == 3, "a used order id runs nothing"


def test_express_idempotency_key_runs_one_order_however_often_it_is_sent(express: ExpressStack) -> None:
    """Under EXPRESS the execution name is no key: Powertools' idempotency keeps the first answer.
    Five at once: one runs, the others meet it in progress (202 PENDING) or finished (its answer)."""
    ids = express.seed(bowl=10)
    key = str(uuid.uuid4())
    body = order(**{ids["bowl"]: 2})
    barrier = threading.Barrier(5)

    def post(_: int) -> tuple[int, Any]:
        barrier.wait(10)
        return post_with_key(express.api, body, key)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(post, range(5)))
    assert {status for status, _ in answers} <= {201, 202}, answers
    assert all(answer["orderId"] == key for _, answer in answers)
    assert all(answer == {"orderId": key, "status": "PENDING"} for status, answer in answers if status == 202)

    status, first = post_with_key(express.api, body, key)
    assert status == 201 and first["status"] == "CONFIRMED", first
    for _ in range(5):
        assert post_with_key(express.api, body, key) == (201, first)
    assert [a for s, a in answers if s == 201] == [first] * sum(1 for s, _ in answers if s == 201)
    status, refused = post_with_key(express.api, order(**{ids["bowl"]: 3}), key)
    assert status == 422 and "different order" in refused["message"], refused
    assert express.stock(ids["bowl"]) == 8


def test_express_rejections_are_answered_by_post_and_unknown_to_get(express: ExpressStack) -> None:
    ids = express.seed(pen=1)

    status, short = express.api.post("/orders", order(**{ids["pen"]: 2}))
    assert status == 422, short
    assert (short["status"], short["reason"]) == ("REJECTED", "OutOfStock")
    assert short["message"] == f"out of stock: {ids['pen']}: requested 2, available 1"

    status, unknown = express.api.post("/orders", order(**{"no-such-product": 1}))
    assert status == 422, unknown
    assert unknown["reason"] == "ProductNotFound" and "no-such-product" in unknown["message"]

    assert express.stock(ids["pen"]) == 1
    status, body = express.api.get(f"/orders/{short['orderId']}")
    assert status == 404 and body["message"], body  # an Express execution cannot be described


def test_start_sync_execution_runs_the_express_workflow_and_its_executions_stay_private(
    express: ExpressStack,
) -> None:
    ids = express.seed(mug=3)
    sfn = express.sfn()
    workflow = express.resource_id("OrderWorkflow")
    order_id = f"sync-{uuid.uuid4().hex[:8]}"

    run = sfn.start_sync_execution(
        stateMachineArn=workflow, name=order_id, input=json.dumps(order(order_id, **{ids["mug"]: 1}))
    )

    assert run["status"] == "SUCCEEDED", run
    assert json.loads(run["output"])["status"] == "CONFIRMED"
    machine = workflow.split(":")[-1]
    assert (
        run["executionArn"].startswith(f"arn:aws:states:{express.region}:")
        and f":express:{machine}:{order_id}:" in run["executionArn"]
    )
    for refused in (
        lambda: sfn.describe_execution(executionArn=run["executionArn"]),
        lambda: sfn.get_execution_history(executionArn=run["executionArn"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            refused()
        assert excinfo.value.response["Error"]["Code"] == "InvalidArn"
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=workflow)
    assert excinfo.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


def test_mock_config_test_cases_run_as_sync_executions(express: ExpressStack) -> None:
    sfn = express.sfn()
    workflow = express.resource_id("OrderWorkflow")
    execution_input = json.dumps(order("mock-order", **{"sm-pen": 2}))

    happy = sfn.start_sync_execution(stateMachineArn=f"{workflow}#HappyPath", input=execution_input)
    rejected = sfn.start_sync_execution(stateMachineArn=f"{workflow}#OutOfStock", input=execution_input)

    assert happy["status"] == "SUCCEEDED" and json.loads(happy["output"])["status"] == "CONFIRMED", happy
    output = json.loads(rejected["output"])
    assert (output["status"], output["reason"]) == ("REJECTED", "OutOfStock"), rejected
    with pytest.raises(ClientError) as excinfo:
        sfn.start_sync_execution(stateMachineArn=f"{workflow}#NoSuchCase", input=execution_input)
    assert excinfo.value.response["Error"]["Code"] == "InvalidName"


def test_history_of_an_express_order_comes_from_the_log_group(express: ExpressStack) -> None:
    ids = express.seed(kettle=2)
    status, body = express.api.post("/orders", order(**{ids["kettle"]: 5}))
    assert status == 422, body
    env = {"PATH": "/usr/bin:/bin", "AWS_ENDPOINT_URL": express.endpoint, "AWS_REGION": express.region}

    shown = subprocess.run(
        [sys.executable, "-m", "orderflow.cli", "history", body["orderId"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert shown.returncode == 0, shown.stderr
    assert re.search(rf"execution {body['orderId']}\s+SUCCEEDED", shown.stdout)
    assert re.search(r"CheckStock\s+1\s+TaskFailed\s+OutOfStock", shown.stdout)
    assert "status=REJECTED (OutOfStock)" in shown.stdout
    group = "/aws/vendedlogs/states/orderflow-OrderWorkflow"
    events = express.client("logs").filter_log_events(logGroupName=group)["events"]
    records = [json.loads(event["message"]) for event in events]
    mine = [r for r in records if f":{body['orderId']}:" in r["execution_arn"]]
    assert (
        mine[0]["type"] == "ExecutionStarted"
        and json.loads(mine[0]["details"]["input"])["orderId"] == body["orderId"]
    )


def test_cost_reads_the_express_executions_from_the_log_group(
    express: ExpressStack, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = express.seed(spoon=1)
    assert express.api.post("/orders", order(**{ids["spoon"]: 1}))[0] == 201
    assert express.api.post("/orders", order(**{ids["spoon"]: 1}))[0] == 422

    argv = ["cost", "--endpoint", express.endpoint, "--stack-name", "orderflow", "--region", express.region]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)

    measured = report["measured"]
    assert measured["workflowType"] == "EXPRESS" and measured["executions"] >= 2
    assert Decimal(measured["outcomes"]["CONFIRMED"]) > 0 and Decimal(measured["outcomes"]["REJECTED"]) > 0
    assert Decimal(measured["perOrder"]["stateTransitions"]) >= 3  # read from the logged events
    assert Decimal(measured["perOrder"]["dynamodbWriteUnits"]) > 0  # the WriteOrder calls were found
    assert any("log group /aws/vendedlogs/states/orderflow-OrderWorkflow" in a for a in report["assumptions"])
    designs = report["designs"]
    assert (
        0
        < Decimal(designs["EXPRESS"]["byService"]["Step Functions"])
        < Decimal(designs["STANDARD"]["byService"]["Step Functions"])
    )
