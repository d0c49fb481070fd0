"""Targets the order workflow's flow tests run on, and what a test reads from an execution history.

A target is the embedded runtime (always), or an external Step Functions endpoint named by
``ORDERFLOW_SFN_ENDPOINT`` (Step Functions Local with this directory's MockConfigFile.json, or
AWS itself), optionally beside a deployed stack named by ``ORDERFLOW_STACK_NAME``.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from botocore.config import Config

from orderflow.ports import free_port, port_free
from orderflow.runtime import sfn_local
from orderflow.runtime.moto.sfn import substitute
from orderflow.session import LocalSession, SessionOptions
from tests.support.order_data import OrderDataMixin

__all__ = ["free_port", "port_free"]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ASL_PATH = ROOT / "statemachines" / "order_workflow.asl.json"
MOCK_CONFIG = Path(__file__).resolve().parent / "MockConfigFile.json"

STACK_NAME = "orderflow"
STATE_MACHINE_NAME = f"{STACK_NAME}-OrderWorkflow"  # the template's Name: ${AWS::StackName}-OrderWorkflow

SFN_ENDPOINT_ENV = "ORDERFLOW_SFN_ENDPOINT"
STACK_NAME_ENV = "ORDERFLOW_STACK_NAME"

# What Step Functions Local accepts for CreateStateMachine (its documentation's dummy role).
SFN_LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/DummyRole"
SFN_LOCAL_ACCOUNT = "123456789012"

SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled")
FAILED = ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut")

# Products the mocked payloads of MockConfigFile.json name, seeded in every target with a stack.
MOCKED_PRODUCTS = {
    "sm-pen": {"name": "Pen", "price": Decimal("2.50"), "stock": 100},
    # HybridStockRaceAtWrite: the mocked CheckStock saw 3 in stock; the table holds 2.
    "sm-last-widget": {"name": "Widget", "price": Decimal("4.00"), "stock": 2},
}


def start_flow_runtime(mock_config: Path, state_dir: Path, aws_port: int | None = None) -> LocalSession:
    """Boot template.yaml as stack ``orderflow`` with ``mock_config`` installed and no real back-off.

    The mock file is loaded and checked against the ASL *before* anything starts or is installed: a
    bad file raises MockConfigError (one line naming the file and the JSON path) and leaves nothing
    running. Once deployed, the session checks it again against the state machines moto really holds.
    Only the workflow's four functions are warmed (their handlers imported), not the stack's others.
    """
    config = sfn_local.load_mock_config(mock_config)
    sfn_local.validate_against_definitions(
        config, {STATE_MACHINE_NAME: ASL_PATH.read_text(encoding="utf-8")}, require_state_machines=True
    )
    options = SessionOptions(
        TEMPLATE,
        stack_name=STACK_NAME,
        aws_port=aws_port or free_port(),
        api_port=None,
        state_dir=state_dir,
        mock_config=mock_config,
        time_scale=0,
        check_handlers=WORKFLOW_FUNCTIONS,
    )
    return LocalSession(options).start()


WORKFLOW_FUNCTIONS = (
    "ValidateOrderFunction",
    "CheckStockFunction",
    "WriteOrderFunction",
    "NotifyOrderFunction",
)


# --------------------------------------------------------------------------------------------------
# One execution, as GetExecutionHistory tells it
# --------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """A finished execution: DescribeExecution and every history event, oldest first."""

    name: str
    described: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return str(self.described["status"])

    @property
    def output(self) -> Any:
        raw = self.described.get("output")
        return None if raw is None else json.loads(raw)

    @property
    def error(self) -> str | None:
        return self.described.get("error")

    @property
    def cause(self) -> str | None:
        return self.described.get("cause")

    def entered(self) -> list[str]:
        """The states entered, in order (a state entered twice appears twice)."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.events if "stateEnteredEventDetails" in e]

    def attempts(self) -> dict[str, int]:
        """Task state -> how many times its service was scheduled (1 + retries)."""
        counts: Counter[str] = Counter()
        state = None
        for event in self.events:
            if "stateEnteredEventDetails" in event:
                state = event["stateEnteredEventDetails"]["name"]
            elif event["type"] in SCHEDULED:
                counts[str(state)] += 1
        return dict(counts)

    def failures(self) -> list[tuple[str, str]]:
        """(state, error name) of every failed attempt, in order."""
        failures: list[tuple[str, str]] = []
        state = None
        for event in self.events:
            if "stateEnteredEventDetails" in event:
                state = event["stateEnteredEventDetails"]["name"]
            elif event["type"] in FAILED:
                details = next(v for k, v in event.items() if k.endswith("EventDetails"))
                failures.append((str(state), details.get("error", "")))
        return failures

    def final_event(self) -> dict[str, Any]:
        return self.events[-1]

    def task_output(self, state: str) -> Any:
        """The (parsed) output of ``state``'s last successful task."""
        found = None
        current = None
        for event in self.events:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            elif event["type"] in ("TaskSucceeded", "LambdaFunctionSucceeded") and current == state:
                details = next(v for k, v in event.items() if k.endswith("EventDetails"))
                found = json.loads(details["output"])
        return found


# --------------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------------


@dataclass
class Target(OrderDataMixin):
    """Where the workflow runs: a Step Functions client, the state machine ARN, and (with a stack)
    the tables and queues its real states use."""

    kind: str  # "embedded" | "external"
    sfn: Any
    state_machine_arn: str
    supports_mocks: bool
    tables: dict[str, str] = field(default_factory=dict)  # ProductsTable / OrdersTable -> name
    queues: dict[str, str] = field(default_factory=dict)  # OrderNotificationsQueue / ...Dlq -> URL
    data_client: Any = None  # () -> boto3 client/resource factory for the stack's data
    timeout: float = 15.0
    parked: list[dict[str, Any]] = field(default_factory=list)
    notified: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_stack(self) -> bool:
        return bool(self.tables)

    # ---- requirements ---------------------------------------------------------------------------

    def require_mocks(self) -> None:
        if not self.supports_mocks:
            pytest.skip(
                "mocked test cases (<state machine ARN>#<TestCase>) are a Step Functions Local feature: "
                f"point {SFN_ENDPOINT_ENV} at Step Functions Local started with SFN_MOCK_CONFIG"
            )

    def require_stack(self) -> None:
        if not self.has_stack:
            pytest.skip(
                "hybrid test cases run real Lambdas, tables and queues: set "
                f"{STACK_NAME_ENV} to a deployed stack to run them on {self.kind}"
            )

    # ---- executions ------------------------------------------------------------------------------

    def run(self, test_case: str | None, execution_input: dict[str, Any], name: str | None = None) -> Run:
        """Start ``<arn>#<test_case>`` (None: the state machine unmocked) and wait until it ends."""
        if test_case is not None:
            self.require_mocks()
        name = name or f"{test_case or 'unmocked'}-{uuid.uuid4().hex[:8]}"
        arn = self.state_machine_arn if test_case is None else f"{self.state_machine_arn}#{test_case}"
        execution_arn = self.sfn.start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        deadline = time.monotonic() + self.timeout
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                self.sfn.stop_execution(executionArn=execution_arn)
                pytest.fail(f"execution {execution_arn} still RUNNING after {self.timeout} s")
            time.sleep(0.005)
        events: list[dict[str, Any]] = []
        for page in self.sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return Run(name, described, events)

    # ---- data ------------------------------------------------------------------------------------

    def table(self, logical_id: str) -> Any:
        return self.data_client("dynamodb-resource").Table(self.tables[logical_id])

    def seed_products(self, products: dict[str, dict[str, Any]]) -> None:
        with self.table("ProductsTable").batch_writer() as batch:
            for product_id, attributes in products.items():
                batch.put_item(Item={"productId": product_id, **attributes})

    def _drain(self, logical_id: str, into: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sqs = self.data_client("sqs")
        url = self.queues[logical_id]
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return into
            for message in messages:
                into.append({"MessageId": message["MessageId"], "Body": json.loads(message["Body"])})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def parked_messages(self) -> list[dict[str, Any]]:
        """Every message that reached the notifications DLQ so far (kept across calls)."""
        return self._drain("OrderNotificationsDlq", self.parked)

    def notifications(self) -> list[dict[str, Any]]:
        """Every message that reached the notifications queue so far (kept across calls)."""
        return self._drain("OrderNotificationsQueue", self.notified)


def embedded_target(runtime: Any) -> Target:
    def data_client(kind: str) -> Any:
        if kind == "dynamodb-resource":
            return boto3.resource("dynamodb", endpoint_url=runtime.endpoint_url, region_name=runtime.region)
        return runtime.client(kind)

    return Target(
        kind="embedded",
        sfn=runtime.client("stepfunctions"),
        state_machine_arn=runtime.outputs["OrderWorkflowArn"],
        supports_mocks=True,
        tables={name: runtime.resources[name] for name in ("ProductsTable", "OrdersTable")},
        queues={
            name: runtime.resources[name] for name in ("OrderNotificationsQueue", "OrderNotificationsDlq")
        },
        data_client=data_client,
    )


def is_aws_endpoint(endpoint: str) -> bool:
    host = urlparse(endpoint).hostname or ""
    return host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")


def external_target(endpoint: str, stack_name: str | None) -> Target:
    """Step Functions Local (the state machine is created there from the ASL) or AWS (the deployed
    stack's own state machine), with the deployed stack's data when ``stack_name`` is given."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    on_aws = is_aws_endpoint(endpoint)
    if on_aws and not stack_name:
        pytest.skip(
            f"{SFN_ENDPOINT_ENV} is an AWS endpoint, which runs no MockConfigFile test cases: "
            f"set {STACK_NAME_ENV} to run the unmocked cases against that stack"
        )
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    if on_aws:
        sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name=region, config=config)
    else:
        # Step Functions Local accepts any credentials; don't require real ones.
        session = boto3.Session(
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
            aws_session_token=os.environ.get("AWS_SESSION_TOKEN"),
            region_name=region,
        )
        sfn = session.client("stepfunctions", endpoint_url=endpoint, config=config)

    outputs: dict[str, str] = {}
    functions: dict[str, str] = {}
    if stack_name:
        cfn = boto3.client("cloudformation", region_name=region)
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
        functions = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in resources
            if r["ResourceType"] == "AWS::Lambda::Function"
        }

    if on_aws:
        arn = outputs["OrderWorkflowArn"]
    else:
        arn = create_on_sfn_local(sfn, region, functions, outputs.get("OrderNotificationsDlqUrl"))

    def data_client(kind: str) -> Any:
        if kind == "dynamodb-resource":
            return boto3.resource("dynamodb", region_name=region)
        return boto3.client(kind, region_name=region)

    return Target(
        kind="external",
        sfn=sfn,
        state_machine_arn=arn,
        supports_mocks=not on_aws,
        tables={"ProductsTable": outputs["ProductsTableName"], "OrdersTable": outputs["OrdersTableName"]}
        if stack_name
        else {},
        queues={
            "OrderNotificationsQueue": outputs["OrderNotificationsQueueUrl"],
            "OrderNotificationsDlq": outputs["OrderNotificationsDlqUrl"],
        }
        if stack_name
        else {},
        data_client=data_client,
        # Step Functions Local really sleeps through Retry back-off (1 s, 2 s, 4 s, jittered).
        timeout=60.0,
    )


def create_on_sfn_local(sfn: Any, region: str, functions: dict[str, str], dlq_url: str | None) -> str:
    """CreateStateMachine on Step Functions Local: the ASL with the template's substitutions, named
    as MockConfigFile.json names it. Without a stack the ARNs are placeholders mocked states never call."""

    def function_arn(logical_id: str) -> str:
        if functions:  # the deployed stack's function (Lambda accepts a name as FunctionName)
            return functions[logical_id]
        return f"arn:aws:lambda:{region}:{SFN_LOCAL_ACCOUNT}:function:{STACK_NAME}-{logical_id}"

    values = {
        "Partition": "aws",
        "ValidateOrderFunctionArn": function_arn("ValidateOrderFunction"),
        "CheckStockFunctionArn": function_arn("CheckStockFunction"),
        "WriteOrderFunctionArn": function_arn("WriteOrderFunction"),
        "NotifyOrderFunctionArn": function_arn("NotifyOrderFunction"),
        "OrderNotificationsDlqUrl": dlq_url
        or f"https://sqs.{region}.amazonaws.com/{SFN_LOCAL_ACCOUNT}/{STACK_NAME}-OrderNotificationsDlq",
    }
    definition = substitute(ASL_PATH.read_text(encoding="utf-8"), values, require_all=True)
    try:
        return str(
            sfn.create_state_machine(
                name=STATE_MACHINE_NAME, definition=definition, roleArn=SFN_LOCAL_ROLE_ARN
            )["stateMachineArn"]
        )
    except sfn.exceptions.StateMachineAlreadyExists:
        # A Step Functions Local left running from an earlier session: bring its definition up to date.
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                if machine["name"] == STATE_MACHINE_NAME:
                    sfn.update_state_machine(
                        stateMachineArn=machine["stateMachineArn"], definition=definition
                    )
                    return str(machine["stateMachineArn"])
        raise
