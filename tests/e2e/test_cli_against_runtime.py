"""The CLI commands that talk to a running runtime (what `orderflow up` serves), pointed at the e2e stack."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from orderflow.arns import execution_arn
from orderflow.cli import main
from orderflow.cost.calc import SERVICES
from tests.e2e.e2e_support import Stack, eventually

pytestmark = pytest.mark.e2e


def test_load_csv_then_order_it(stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pid = f"csv-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "products.csv"
    data.write_text(f"productId,name,price,stock\n{pid},Loaded cup,4.75,3\n")
    code = main(
        ["load", "products", str(data), "--endpoint", stack.endpoint, "--stack-name", "e2e", "--no-progress"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "loaded 1 item into" in out  # not "1 items"
    item = stack.table("ProductsTable").get_item(Key={"productId": pid})["Item"]
    assert item["price"] == Decimal("4.75") and item["stock"] == 3

    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    status, _ = stack.api.post(
        "/orders", {"orderId": order_id, "customerId": "c-csv", "items": [{"productId": pid, "quantity": 2}]}
    )
    assert status == 202
    assert stack.final_status(order_id)[0]["status"] == "CONFIRMED"
    assert stack.stock_of(pid) == 1

    assert main(["history", order_id, "--endpoint", stack.endpoint, "--stack-name", "e2e"]) == 0
    out, _ = capsys.readouterr()
    assert "WriteOrder" in out and "status=CONFIRMED" in out

    arn = stack.client("stepfunctions").describe_execution(
        executionArn=execution_arn(stack.runtime.outputs["OrderWorkflowArn"], order_id)
    )["executionArn"]
    assert main(["history", arn, "--endpoint", stack.endpoint]) == 0
    assert f"execution {order_id}  SUCCEEDED" in capsys.readouterr().out
    assert main(["history", arn + "-nope", "--endpoint", stack.endpoint]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no execution" in err[0]


def test_outbox_command(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    assert stack.api.post("/users", {"email": email, "name": "Cli User"})[0] == 201
    eventually(lambda: stack.mails_to(email), what="the welcome mail")
    assert main(["outbox", "--json", "--endpoint", stack.endpoint]) == 0
    mails = json.loads(capsys.readouterr().out)
    mine = [m for m in mails if email in m["to"]]
    assert len(mine) == 1
    assert set(mine[0]) >= {"to", "subject", "body", "time"}


def test_history_of_unknown_order(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "no-such-order", "--endpoint", stack.endpoint, "--stack-name", "e2e"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-order" in err[0]


def test_cost_of_the_orders_that_ran(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    """`orderflow cost` on the e2e stack: one confirmed and one rejected order at least have run."""
    ids = stack.seed_products(cup=5)
    confirmed, rejected = f"ord-{uuid.uuid4().hex[:12]}", f"ord-{uuid.uuid4().hex[:12]}"
    for order_id, quantity in ((confirmed, 1), (rejected, 99)):
        body = {
            "orderId": order_id,
            "customerId": "c-cost",
            "items": [{"productId": ids["cup"], "quantity": quantity}],
        }
        assert stack.api.post("/orders", body)[0] == 202
    assert stack.final_status(confirmed)[0]["status"] == "CONFIRMED"
    assert stack.final_status(rejected)[0]["status"] == "REJECTED"

    argv = ["cost", "--endpoint", stack.endpoint, "--stack-name", "e2e", "--region", stack.region]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["orders"] == 1_000_000 and report["region"] == stack.region
    services = set(SERVICES)
    designs = report["designs"]
    assert set(designs) == {"STANDARD", "EXPRESS", "SEED"}
    for design in designs.values():
        assert set(design["byService"]) == services
        parts = sum(Decimal(v) for v in design["byService"].values())
        assert abs(Decimal(design["total"]) - parts) <= Decimal("0.0004")  # each rounded to 4 places
    # one API request per order at $3.50 per million, in every design
    assert {d["byService"]["API Gateway"] for d in designs.values()} == {"3.5000"}
    # the seed: one $0.20-per-million invocation per order, no workflow
    assert designs["SEED"]["byService"]["Lambda requests"] == "0.2000"
    assert designs["SEED"]["byService"]["Step Functions"] == "0.0000"
    # Express prices the same executions by duration: far below Standard's transitions
    standard_sfn = Decimal(designs["STANDARD"]["byService"]["Step Functions"])
    assert 0 < Decimal(designs["EXPRESS"]["byService"]["Step Functions"]) < standard_sfn
    measured = report["measured"]
    assert measured["workflowType"] == "STANDARD" and measured["executions"] >= 2
    assert Decimal(measured["outcomes"]["REJECTED"]) > 0 and Decimal(measured["outcomes"]["CONFIRMED"]) > 0
    # memory and architecture as template.yaml's Globals deploy them
    assert measured["functions"]["CheckStockFunction"] == {"memoryMB": 256, "architecture": "x86_64"}
    assert Decimal(measured["perOrder"]["stateTransitions"]) >= 3
    assert Decimal(measured["perOrder"]["dynamodbWriteUnits"]) > 0
    assert any("REPORT lines" in line for line in report["assumptions"])

    # the same orders at Ireland's list prices: DynamoDB costs more there
    assert main([*argv, "--json", "--price-region", "eu-west-1"]) == 0
    ireland = json.loads(capsys.readouterr().out)
    assert ireland["region"] == "eu-west-1" and ireland["measured"]["executions"] >= measured["executions"]
    dynamodb = [Decimal(r["designs"]["STANDARD"]["byService"]["DynamoDB"]) for r in (report, ireland)]
    assert dynamodb[0] < dynamodb[1]

    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "single Lambda (seed)" in text and "free tier excluded" in text and "REJECTED" in text
