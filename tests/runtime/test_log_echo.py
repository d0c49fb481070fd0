"""How `orderflow up` echoes a function's log line (runtime/log_echo.py): compact by default, the
line as written with --log-format json."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from orderflow.runtime.lambdas import _LogPump
from orderflow.runtime.log_echo import echo_line

# A Powertools Logger record as the functions write it (~540 characters on one line).
POWERTOOLS = {
    "level": "INFO",
    "location": "handler:41",
    "message": "order validated",
    "timestamp": "2026-12-07 18:54:03,120+0000",
    "service": "orders",
    "cold_start": True,
    "function_name": "orderflow-ValidateOrderFunction-4f1c2a9b",
    "function_memory_size": "256",
    "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:orderflow-ValidateOrderFunction-4f1c2a9b",
    "function_request_id": "6b1e8a52-47b5-4c0b-9c34-3a1f3f3c9c0e",
    "xray_trace_id": "1-6745a1b2-0123456789abcdef01234567",
    "orderId": "o-1",
    "items": 2,
}


def test_a_structured_line_is_time_level_function_message_and_its_own_fields() -> None:
    line = json.dumps(POWERTOOLS)
    assert len(line) > 400
    assert echo_line(line, "ValidateOrderFunction") == (
        "18:54:03.120 INFO  [ValidateOrderFunction] order validated  orderId=o-1 items=2"
    )


def test_lambdas_json_log_format_and_long_values() -> None:
    record = {
        "timestamp": "2026-12-07T18:54:03.5Z",
        "level": "ERROR",
        "message": {"error": "x"},
        "requestId": "r-1",
        "detail": "y" * 200,
    }
    shown = echo_line(json.dumps(record), "F")
    assert shown.startswith('18:54:03.500 ERROR [F] {"error":"x"}  detail=yyy')
    assert shown.endswith("…") and len(shown) < 120


def test_json_format_and_plain_lines_are_echoed_as_written() -> None:
    line = json.dumps(POWERTOOLS)
    assert echo_line(line, "F", "json") == f"[F] {line}"
    assert echo_line("[ERROR] KeyError: 'x'", "F") == "[F] [ERROR] KeyError: 'x'"
    assert echo_line('{"no": "message"}', "F") == '[F] {"no": "message"}'
    assert echo_line("{broken", "F") == "[F] {broken"


def test_the_log_pump_echoes_in_the_chosen_format_and_keeps_the_line_in_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = json.dumps(POWERTOOLS)
    for log_format, shown in (("compact", echo_line(line, "Fn")), ("json", f"[Fn] {line}")):
        log = tmp_path / f"{log_format}.log"
        pump = _LogPump(open(log, "ab"), "Fn", "/aws/lambda/fn", "s", echo=log_format, telemetry=None)  # noqa: SIM115
        pump.run(io.BytesIO(f"{line}\nEND RequestId: r\n".encode()))
        assert capsys.readouterr().err == f"{shown}\n"
        assert log.read_text() == f"{line}\nEND RequestId: r\n"  # the file: as written
