"""The ``orderflow`` command line: bad input is one line on stderr and a non-zero exit.

``load`` runs against a moto server (in a thread) holding a stack of the template's tables, the
way ``orderflow up`` would; nothing here needs the runtime.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from orderflow.cli import main
from orderflow.errors import OrderflowError
from orderflow.loader import read_items
from orderflow.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["bogus"], "invalid choice"),
        (["up", "--api-port", "x"], "invalid port"),
        (["up", "--aws-port", "70000"], "out of range"),
        (["up", "--max-concurrency", "0"], "0 is not at least 1"),
        (["up", "--max-concurrency", "many"], "invalid number"),
        (["up", "--unknown"], "unrecognized arguments"),
        (["up", "--snapshot-interval", "soon"], "invalid number of seconds 'soon'"),
        (["up", "--snapshot-interval", "-1"], "-1 seconds out of range 0-86400"),
        (["up", "--stop-grace", "soon"], "invalid number of seconds 'soon'"),
        (["up", "--stop-grace", "-1"], "-1 seconds out of range 0-86400"),
        (["history"], "required"),
        (["load", "products"], "required"),
        (["outbox", "--json", "extra"], "unrecognized arguments"),
    ],
)
def test_argument_errors_are_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert_one_line_error(code, err, fragment)


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([], capsys)
    assert code == 2
    assert "usage:" in err


def test_up_with_missing_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["up", "--template", str(tmp_path / "nope.yaml")], capsys)
    assert_one_line_error(code, err, "nope.yaml", "not found")


def test_up_with_a_broken_mock_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "MockConfigFile.json"
    broken.write_text('{"StateMachines": {}, "MockedResponses": {"R": {"1": {"Return": 1}}}}')
    argv = ["up", "--template", str(ROOT / "template.yaml"), "--mock-config", str(broken)]
    argv += ["--api-port", str(free_port()), "--aws-port", str(free_port())]
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "MockConfigFile.json", "MockedResponses.R")


def test_up_with_a_bad_time_scale(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["up", "--template", str(ROOT / "template.yaml"), "--time-scale", "fast"], capsys)
    assert_one_line_error(code, err, "--time-scale", "fast")


def test_up_with_api_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(["up", "--template", str(ROOT / "template.yaml"), "--api-port", str(port)], capsys)
    assert_one_line_error(code, err, f"API port {port} is in use")


def test_up_with_aws_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(
            [
                "up",
                "--template",
                str(ROOT / "template.yaml"),
                "--aws-port",
                str(port),
                "--api-port",
                str(closed_port()),
            ],
            capsys,
        )
    assert_one_line_error(code, err, f"AWS port {port} is in use")


def test_history_without_a_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    code, _, err = run(["history", "order-1", "--endpoint", endpoint], capsys)
    assert_one_line_error(code, err, f"no orderflow runtime at {endpoint}", "orderflow up")


def test_load_without_a_runtime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "p.json"
    data.write_text("[]")
    endpoint = f"http://127.0.0.1:{closed_port()}"
    code, _, err = run(["load", "products", str(data), "--endpoint", endpoint], capsys)
    assert_one_line_error(code, err, "no orderflow runtime")


def test_load_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["load", "products", "/nonexistent/p.json"], capsys)
    assert_one_line_error(code, err, "no such file")


def test_console_script_never_prints_a_traceback() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orderflow.cli",
            "history",
            "x",
            "--endpoint",
            f"http://127.0.0.1:{closed_port()}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert_one_line_error(result.returncode, result.stderr, "no orderflow runtime")


# ---------------------------------------------------------------------------- read_items (no server)
@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("a.json", "{", "invalid JSON at line 1"),
        ("a.json", '{"productId": "p"}', "expected a JSON list"),
        ("a.json", '[{"productId": "p"}, 3]', "item 2: expected an object"),
        ("a.json", '[{"productId": "p"}, {"name": "x"}]', "item 2: missing key attribute 'productId'"),
        ("a.json", '[{"productId": 5}]', "item 1: key 'productId' must be a non-empty string"),
        ("a.json", '[{"productId": "p", "price": NaN}]', "non-finite"),
        (
            "a.json",
            '[{"productId": "p"}, {"productId": "p"}]',
            "item 2: duplicate key productId=p (also item 1)",
        ),
        ("a.json", "[]", "no items"),
        ("a.csv", "", "header row"),
        ("a.csv", "name,price\nx,1\n", "header lacks the key column(s) productId"),
        ("a.csv", "productId,price\np1,1\np2,1,3\n", "line 3: 3 cells, the header has 2"),
        ("a.csv", "productId,price\np1,1\n,2\n", "line 3: key 'productId' must be a non-empty string"),
        ("a.csv", "productId,productId\n", "repeated column"),
        ("a.txt", "x", "expected a .json or .csv"),
    ],
)
def test_read_items_rejects_bad_rows(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(OrderflowError) as caught:
        read_items(path, {"productId": "S"})
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_read_items_numeric_key_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,sort\n1,2\n")
    assert read_items(path, {"id": "N", "sort": "N"}) == [{"id": 1, "sort": 2}]
    path.write_text("id\nabc\n")
    with pytest.raises(OrderflowError, match="line 2: key id must be a number"):
        read_items(path, {"id": "N"})


def test_read_items_types(tmp_path: Path) -> None:
    json_file = tmp_path / "p.json"
    json_file.write_text('[{"productId": "p1", "price": 9.99, "stock": 3, "tags": ["a"], "active": true}]')
    (item,) = read_items(json_file, {"productId": "S"})
    assert item == {"productId": "p1", "price": Decimal("9.99"), "stock": 3, "tags": ["a"], "active": True}
    assert isinstance(item["price"], Decimal) and isinstance(item["stock"], int)

    csv_file = tmp_path / "p.csv"
    csv_file.write_text('productId,name,price,stock,code,note\n42,"Cup, big",7.50,12,007,\n')
    (row,) = read_items(csv_file, {"productId": "S"})
    assert row == {
        "productId": "42",
        "name": "Cup, big",
        "price": Decimal("7.50"),
        "stock": 12,
        "code": "007",
    }
    assert isinstance(row["stock"], int)


def products_table(endpoint: str):  # type: ignore[no-untyped-def]
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1")
    resources = cfn.describe_stack_resources(StackName="orderflow")["StackResources"]
    name = next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "ProductsTable")
    return boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1").Table(name)


def test_load_json_and_csv(moto_stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "products.json"
    data.write_text(json.dumps([{"productId": f"j{i}", "price": 1.25, "stock": i} for i in range(30)]))
    code, out, err = run(["load", "products", str(data), "--endpoint", moto_stack, "--no-progress"], capsys)
    assert code == 0, err
    assert "loaded 30 items" in out and "ProductsTable" in out
    table = products_table(moto_stack)
    assert table.get_item(Key={"productId": "j7"})["Item"] == {
        "productId": "j7",
        "price": Decimal("1.25"),
        "stock": 7,
    }

    csv_file = tmp_path / "products.csv"
    csv_file.write_text("productId,name,price,stock\nc1,Cup,7.50,12\n")
    code, out, err = run(["load", "ProductsTable", str(csv_file), "--endpoint", moto_stack], capsys)
    assert code == 0, err
    assert table.get_item(Key={"productId": "c1"})["Item"]["price"] == Decimal("7.50")


def test_load_bad_row_writes_nothing(
    moto_stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bad.json"
    data.write_text(json.dumps([{"productId": "ok-1"}, {"productId": "ok-2"}, {"name": "no key"}]))
    code, _, err = run(["load", "products", str(data), "--endpoint", moto_stack], capsys)
    assert_one_line_error(code, err, "item 3", "productId")
    table = products_table(moto_stack)
    assert "Item" not in table.get_item(Key={"productId": "ok-1"})


def test_load_unknown_table_and_stack(
    moto_stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "p.json"
    data.write_text('[{"productId": "x"}]')
    code, _, err = run(["load", "widgets", str(data), "--endpoint", moto_stack], capsys)
    assert_one_line_error(code, err, "no table 'widgets'", "ProductsTable")
    code, _, err = run(
        ["load", "products", str(data), "--endpoint", moto_stack, "--stack-name", "nope"], capsys
    )
    assert_one_line_error(code, err, "no stack 'nope'")


def test_history_unknown_order(moto_stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["history", "no-such-order", "--endpoint", moto_stack], capsys)
    assert_one_line_error(code, err, "no-such-order")


def test_up_refuses_an_unknown_patch_name_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["up", "--template", str(ROOT / "template.yaml"), "--disable-patch", "no_such_patch"]
    argv += ["--aws-port", str(free_port()), "--api-port", str(free_port())]
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "no moto patch named 'no_such_patch'", "sfn_cfn_backend")


@pytest.mark.parametrize("origin", ["evil.example", "ftp://x", "http://x/path", "http://"])
def test_up_refuses_a_malformed_allowed_origin(origin: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["up", "--allow-origin", origin], capsys)
    assert code == 2
    assert f"invalid origin {origin!r}" in err
    assert "Traceback" not in err


def test_up_reports_both_ports_in_use_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as api_busy, socket.socket() as aws_busy:
        for busy in (api_busy, aws_busy):
            busy.bind(("127.0.0.1", 0))
            busy.listen()
        api_port, aws_port = api_busy.getsockname()[1], aws_busy.getsockname()[1]
        argv = ["up", "--template", str(ROOT / "template.yaml")]
        code, _, err = run([*argv, "--api-port", str(api_port), "--aws-port", str(aws_port)], capsys)
    assert_one_line_error(code, err, f"API port {api_port} and AWS port {aws_port} are in use")


def test_a_typed_csv_header_declares_every_column(tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    path.write_text(
        "productId,name:S,price:N,stock:N,active:BOOL,note\np1,1984,12.50,1e3,TRUE,007\np2,Pen,2,0,false,\n"
    )
    assert read_items(path, {"productId": "S"}) == [
        {
            "productId": "p1",
            "name": "1984",
            "price": Decimal("12.50"),
            "stock": 1000,
            "active": True,
            "note": "007",
        },
        {"productId": "p2", "name": "Pen", "price": 2, "stock": 0, "active": False},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('productId,price:N\np1,1\np2,"12,50"\n', "line 3: column price is a number (N), got '12,50'"),
        ("productId,stock:N\np1,many\n", "line 2: column stock is a number (N), got 'many'"),
        ("productId,stock:N\np1,NaN\n", "line 2: column stock is a number (N), got 'NaN'"),
        ("productId,active:BOOL\np1,yes\n", "line 2: column active is true or false (BOOL), got 'yes'"),
        ("productId,price:NUM\np1,1\n", "line 1: column 'price:NUM': type NUM is not one of S, N, BOOL"),
    ],
)
def test_a_typed_csv_refuses_a_bad_cell_with_its_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "typed.csv"
    path.write_text(body)
    with pytest.raises(OrderflowError) as refused:
        read_items(path, {"productId": "S"})
    assert message in str(refused.value)


def test_up_listens_on_127_0_0_1_or_every_interface_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["up", "--host", "192.168.1.5"], capsys)
    assert code == 2
    assert "invalid choice: '192.168.1.5'" in err


# ---------------------------------------------------------------------------- cost
def test_cost_refuses_an_unknown_region_before_asking_anything(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    code, out, err = run(["cost", "--endpoint", endpoint, "--region", "ap-south-1"], capsys)
    assert_one_line_error(code, err, "no prices for region 'ap-south-1'", "us-east-1")
    assert out == ""
    code, out, err = run(["cost", "--endpoint", endpoint, "--price-region", "xx-nowhere-1"], capsys)
    assert_one_line_error(code, err, "no prices for region 'xx-nowhere-1'")


def test_cost_without_a_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    code, _, err = run(["cost", "--endpoint", endpoint, "--region", "us-east-1"], capsys)
    assert_one_line_error(code, err, "no orderflow runtime at", "orderflow up")


def test_cost_without_a_state_machine_or_executions(
    moto_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["cost", "--endpoint", moto_stack, "--region", "us-east-1"], capsys)
    assert_one_line_error(code, err, "has no state machine")
    code, _, err = run(["cost", "--endpoint", moto_stack, "--stack-name", "nope"], capsys)
    assert_one_line_error(code, err, "no stack 'nope'")

    machine = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": "idle-machine",
            "RoleArn": "arn:aws:iam::123456789012:role/sfn",
            "DefinitionString": json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        },
    }
    cfn = boto3.client("cloudformation", endpoint_url=moto_stack, region_name="us-east-1")
    cfn.create_stack(StackName="idle", TemplateBody=json.dumps({"Resources": {"Machine": machine}}))
    code, _, err = run(["cost", "--endpoint", moto_stack, "--stack-name", "idle"], capsys)
    assert_one_line_error(code, err, "no finished executions of idle-machine", "place some orders")


def test_cost_limit_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["cost", "--limit", "0"], capsys)
    assert code == 2 and "not a positive count" in err


@pytest.mark.parametrize(("flags", "enforced"), [([], True), (["--no-iam"], False)])
def test_up_enforces_iam_unless_no_iam(
    flags: list[str], enforced: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import orderflow.session
    from orderflow.runtime import RuntimeStartError

    seen: list[Any] = []

    class Session:
        def __init__(self, options: Any) -> None:
            seen.append(options)

        def start(self) -> None:
            raise RuntimeStartError("stop here")

        def stop(self) -> None:
            pass

    monkeypatch.setattr(orderflow.session, "LocalSession", Session)
    template = Path(__file__).resolve().parents[2] / "template.yaml"
    assert main(["up", "--template", str(template), "--no-lint", *flags]) == 1
    assert [options.iam for options in seen] == [enforced]
    assert "stop here" in capsys.readouterr().err
