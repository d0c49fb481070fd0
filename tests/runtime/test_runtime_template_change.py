"""A changed template on a kept state dir is applied as CloudFormation applies it (moto/cfn_update.py).

The project's own template, through the real runtime and its local API: WorkflowType STANDARD ->
EXPRESS -> STANDARD on one state dir, an order placed after each change. CloudFormation replaces a
state machine whose StateMachineType changes ("Update requires: Replacement",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html)
and updates the function whose environment names the type in place.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

from orderflow.ports import free_port
from orderflow.session import LocalSession, SessionOptions

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
# What an order runs: started (warm) before it is placed. Cold, on a loaded machine, the four in a row
# inside StartSyncExecution could outlast the OrdersApi function's 20 s wait under EXPRESS (202
# PENDING, then GET 404) and, with OrdersApi's own start, the local API's 29 s (504).
ORDER_FUNCTIONS = (
    "OrdersApiFunction",
    "ValidateOrderFunction",
    "CheckStockFunction",
    "WriteOrderFunction",
    "NotifyOrderFunction",
)


@contextmanager
def session(
    state_dir: Path, warm: tuple[str, ...] = ORDER_FUNCTIONS, **parameters: str
) -> Iterator[LocalSession]:
    running = LocalSession(
        SessionOptions(
            TEMPLATE,
            stack_name="changes",
            aws_port=free_port(),
            api_port=free_port(),
            state_dir=state_dir,
            persist=True,
            snapshot_interval=None,
            check_handlers=warm,  # each one's worker started and left idle before the session serves
            parameter_overrides=parameters,
        )
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def place_order(local: LocalSession) -> dict[str, Any]:
    """One product with stock 3, an order of 2 through POST /orders; its final answer (GET)."""
    from orderflow.api.client import ApiClient

    runtime = local.runtime
    assert runtime is not None and local.api is not None
    product = f"p-{uuid.uuid4().hex[:8]}"
    boto3.resource(
        "dynamodb",
        endpoint_url=runtime.endpoint_url,
        region_name=runtime.region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    ).Table(runtime.resources["ProductsTable"]).put_item(
        Item={"productId": product, "name": "cup", "price": Decimal("2.50"), "stock": 3}
    )
    api = ApiClient(local.api.url)
    cold = runtime.cold_starts
    status, body = api.post(
        "/orders", {"customerId": "c-1", "items": [{"productId": product, "quantity": 2}]}
    )
    assert status in (201, 202), (status, body)
    deadline = time.monotonic() + 30
    while body.get("status") not in ("CONFIRMED", "REJECTED", "FAILED"):
        assert time.monotonic() < deadline, body
        status, body = api.get(f"/orders/{body['orderId']}")
        assert status == 200, (status, body)
    assert runtime.cold_starts == cold, "the order ran on the workers the session started warm"
    return {"answer": status, **body}


def workflow_type(local: LocalSession) -> str:
    runtime = local.runtime
    assert runtime is not None
    sfn = runtime.client("stepfunctions")
    return str(sfn.describe_state_machine(stateMachineArn=runtime.resources["OrderWorkflow"])["type"])


def orders_api_env(local: LocalSession) -> dict[str, str]:
    runtime = local.runtime
    assert runtime is not None
    function = runtime.client("lambda").get_function(FunctionName=runtime.functions["OrdersApiFunction"])
    return dict(function["Configuration"]["Environment"]["Variables"])


def test_standard_express_standard_on_one_state_dir_places_an_order_after_each_change(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with session(state) as first:
        assert workflow_type(first) == "STANDARD"
        assert place_order(first)["status"] == "CONFIRMED"
        arn = first.runtime.resources["OrderWorkflow"]  # type: ignore[union-attr]

    with session(state, WorkflowType="EXPRESS") as second:
        runtime = second.runtime
        assert runtime is not None and runtime.stack_action == "update"
        assert workflow_type(second) == "EXPRESS"
        assert orders_api_env(second)["ORDER_WORKFLOW_TYPE"] == "EXPRESS"
        assert runtime.resources["OrderWorkflow"] == arn, "the template names it: same name, same ARN"
        assert any(
            change.startswith("OrderWorkflow replaced (StateMachineType") for change in runtime.stack_changes
        )
        assert any(
            change.startswith("OrdersApiFunction updated (Environment") for change in runtime.stack_changes
        )
        placed = place_order(second)
        assert placed["answer"] == 201 and placed["status"] == "CONFIRMED", (
            placed
        )  # EXPRESS answers the outcome

    with session(state) as third:  # the parameter left out takes its default again, as on AWS
        runtime = third.runtime
        assert runtime is not None and runtime.stack_action == "update"
        assert workflow_type(third) == "STANDARD"
        assert orders_api_env(third)["ORDER_WORKFLOW_TYPE"] == "STANDARD"
        placed = place_order(third)
        assert placed["answer"] == 200 and placed["status"] == "CONFIRMED", placed  # STANDARD: 202, then GET

    with session(state, warm=()) as fourth:  # the same template again: restored, nothing to apply
        assert fourth.runtime is not None and fourth.runtime.stack_action == "restore"
        assert workflow_type(fourth) == "STANDARD"


def test_every_kind_of_property_change_reaches_its_resource(tmp_path: Path) -> None:
    """A function's environment, code, handler, memory, timeout and reserved concurrency; a queue's
    attribute; an alarm's threshold; a state machine's definition and logging: each changed in the
    fixture app's template between two starts on one state dir, each read back after the second."""
    import shutil

    from tests.runtime.runtime_support import FIXTURE_TEMPLATE
    from tests.runtime.test_runtime_state import boot

    app = tmp_path / "app"
    shutil.copytree(FIXTURE_TEMPLATE.parent, app, ignore=shutil.ignore_patterns("__pycache__"))
    template = app / "template.yaml"
    first = boot(template, tmp_path / "state")
    first.stop()

    text = template.read_text()
    for old, new in [
        ("ECHO_ONLY: echo-secret", "ECHO_ONLY: echo-changed"),
        (
            "      Handler: app.echo\n      MemorySize: 256\n",
            "      Handler: app.echo\n      MemorySize: 512\n      Timeout: 7\n"
            "      ReservedConcurrentExecutions: 2\n",
        ),
        ("      Handler: app.raiser\n", "      Handler: app.echo\n"),
        (
            "  ParkedQueue:\n    Type: AWS::SQS::Queue\n",
            "  ParkedQueue:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 45\n",
        ),
        (
            "      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 1\n",
            "      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 5\n",
        ),
        ("        Level: ERROR\n", "        Level: ALL\n"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    template.write_text(text)
    definition = app / "statemachines" / "workflow.asl.json"
    definition.write_text(definition.read_text().replace('"Comment": "', '"Comment": "changed: ', 1))
    code = app / "src" / "app.py"
    code.write_text(code.read_text().replace('"event": event,', '"event": event, "edited": True,', 1))

    second = boot(template, tmp_path / "state")
    try:
        assert second.stack_action == "update"
        lam, sqs, cw = second.client("lambda"), second.client("sqs"), second.client("cloudwatch")
        sfn = second.client("stepfunctions")
        echo = lam.get_function(FunctionName=second.functions["EchoFunction"])
        config = echo["Configuration"]
        assert config["Environment"]["Variables"]["ECHO_ONLY"] == "echo-changed"
        assert (config["MemorySize"], config["Timeout"]) == (512, 7)
        assert echo["Concurrency"]["ReservedConcurrentExecutions"] == 2
        raiser = lam.get_function(FunctionName=second.functions["RaiserFunction"])["Configuration"]
        assert raiser["Handler"] == "app.echo"
        assert second.invoke(second.functions["RaiserFunction"], {}).payload["edited"] is True
        queue_url = sqs.get_queue_url(QueueName=second.resources["ParkedQueue"].rsplit("/", 1)[-1])[
            "QueueUrl"
        ]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])
        assert attributes["Attributes"]["VisibilityTimeout"] == "45"
        [alarm] = cw.describe_alarms(AlarmNames=[second.resources["RaiserErrorsAlarm"]])["MetricAlarms"]
        assert alarm["Threshold"] == 5
        workflow = sfn.describe_state_machine(stateMachineArn=second.resources["Workflow"])
        assert workflow["definition"].startswith('{\n  "Comment": "changed: ')
        fast = sfn.describe_state_machine(stateMachineArn=second.resources["FastWorkflow"])
        assert fast["loggingConfiguration"]["level"] == "ALL"
        assert fast["type"] == "EXPRESS"
    finally:
        second.stop()
