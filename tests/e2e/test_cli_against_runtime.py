"""The CLI commands that talk to a running runtime (what `orderflow up` serves), pointed at the e2e stack."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from orderflow.arns import execution_arn
from orderflow.cli import main
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
