"""The console's server-side model: graphs from ASL (nested Parallel/Map, Choice, Catch, Retry) and each
state's outcome from an execution history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderflow.console import model

NESTED = {
    "StartAt": "Decide",
    "States": {
        "Decide": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fast", "BooleanEquals": True, "Next": "Fan"}],
            "Default": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Fan"},
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemProcessor": {
                                "StartAt": "Work",
                                "States": {
                                    "Work": {
                                        "Type": "Task",
                                        "Resource": "arn:aws:states:::lambda:invoke",
                                        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                                        "End": True,
                                    }
                                },
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Oops"},
    },
}


def edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}


def test_graph_of_nested_parallel_and_map() -> None:
    graph = model.graph(json.dumps(NESTED))
    ids = {n["id"] for n in graph["nodes"]}
    assert {"Decide", "Pause", "Fan", "Done", "Broken", model.START, model.END} <= ids
    assert "Fan/branch 1/A" in ids
    assert "Fan/branch 2/Each" in ids
    assert "Fan/branch 2/Each/iterator/Work" in ids
    found = edges(graph)
    assert (model.START, "Decide", "next") in found
    assert ("Decide", "Fan", "choice") in found
    assert ("Decide", "Pause", "default") in found
    assert ("Fan", "Fan/branch 1/A", "branch") in found
    assert ("Fan", "Fan/branch 2/Each", "branch") in found
    # branch ends meet at the Parallel's join, which goes on to Next; the Map's iterator likewise
    assert ("Fan/branch 1/A", "Fan/__join__", "next") in found
    assert ("Fan/branch 2/Each/iterator/Work", "Fan/branch 2/Each/__join__", "next") in found
    assert ("Fan/branch 2/Each/__join__", "Fan/__join__", "next") in found
    assert ("Fan/__join__", "Done", "next") in found
    assert ("Fan", "Broken", "catch") in found
    assert ("Fan/branch 2/Each/iterator/Work", "Fan/branch 2/Each/iterator/Work", "retry") in found
    assert ("Done", model.END, "next") in found
    assert not any(e["source"] == "Broken" for e in graph["edges"])  # Fail ends there
    groups = {g["id"]: g for g in graph["groups"]}
    assert groups["Fan/branch 2/Each/iterator"]["parent"] == "Fan/branch 2"
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["Fan/branch 2/Each/iterator/Work"]["group"] == "Fan/branch 2/Each/iterator"
    labels = {e["label"] for e in graph["edges"] if e["kind"] in ("retry", "catch")}
    assert "retry States.ALL x2" in labels
    assert "catch States.ALL" in labels


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("not json", "not JSON"),
        (json.dumps({"StartAt": "X", "States": {}}), "StartAt"),
        (json.dumps({"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}), "'Y'"),
    ],
)
def test_graph_of_a_broken_definition_says_why(definition: str, message: str) -> None:
    with pytest.raises(model.DefinitionError, match=message):
        model.graph(definition)


class History:
    """A history in GetExecutionHistory's shape, one event a millisecond."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def add(self, event_type: str, key: str | None = None, **details: Any) -> History:
        event: dict[str, Any] = {
            "id": len(self.events) + 1,
            "type": event_type,
            "timestamp": self.t0 + timedelta(milliseconds=len(self.events)),
        }
        if key:
            event[key] = details
        self.events.append(event)
        return self

    def enter(self, name: str, kind: str = "Task", data: str = "{}") -> History:
        return self.add(f"{kind}StateEntered", "stateEnteredEventDetails", name=name, input=data)

    def exit(self, name: str, kind: str = "Task", data: str = "{}") -> History:
        return self.add(f"{kind}StateExited", "stateExitedEventDetails", name=name, output=data)

    def attempt(
        self, function: str, error: str | None = None, cause: str = "", output: str = "{}"
    ) -> History:
        self.add(
            "TaskScheduled",
            "taskScheduledEventDetails",
            resourceType="lambda",
            resource="invoke",
            parameters=json.dumps({"FunctionName": function, "Payload": {}}),
        )
        self.add("TaskStarted", "taskStartedEventDetails", resourceType="lambda", resource="invoke")
        if error:
            return self.add("TaskFailed", "taskFailedEventDetails", error=error, cause=cause)
        return self.add("TaskSucceeded", "taskSucceededEventDetails", output=output)


def test_outcomes_succeeded_retried_caught_not_reached() -> None:
    h = History().add("ExecutionStarted", "executionStartedEventDetails", input="{}")
    h.enter("Validate").attempt("fn-validate").exit("Validate", data='{"ok": true}')
    h.enter("Write").attempt("fn-write", "Lambda.ServiceException").attempt("fn-write").exit("Write")
    h.enter("Check").attempt("fn-check", "OutOfStock", '{"errorMessage": "no stock"}')
    h.enter("Rejected", "Pass").exit("Rejected", "Pass")
    h.add("ExecutionSucceeded", "executionSucceededEventDetails", output="{}")
    result = model.outcomes(h.events)
    states = result["states"]
    assert result["status"] == "SUCCEEDED"
    assert states["Validate"]["status"] == "succeeded"
    assert states["Validate"]["output"] == '{"ok": true}'
    assert states["Validate"]["attempts"][0]["function"] == "fn-validate"
    assert states["Write"]["status"] == "succeeded"
    assert states["Write"]["retries"] == 1
    assert [a["status"] for a in states["Write"]["attempts"]] == ["failed", "succeeded"]
    assert states["Write"]["error"] is None  # retried away
    assert states["Check"]["status"] == "caught"
    assert states["Check"]["error"] == "OutOfStock"
    assert "no stock" in states["Check"]["cause"]
    assert states["Rejected"]["status"] == "succeeded"
    assert "Notify" not in states  # not reached


def test_outcomes_caught_even_when_the_state_is_exited() -> None:
    h = History().enter("Check").attempt("fn", "Boom").exit("Check").enter("Handle", "Pass")
    assert model.outcomes(h.events)["states"]["Check"]["status"] == "caught"
    assert model.outcomes(h.events)["states"]["Handle"]["status"] == "running"


def test_outcomes_failed_execution_marks_the_failing_state() -> None:
    h = History().enter("Validate").attempt("fn").exit("Validate")
    h.enter("Notify").attempt("fn-n", "Boom", "c1").attempt("fn-n", "Boom", "c2")
    h.add("ExecutionFailed", "executionFailedEventDetails", error="Boom", cause="c2")
    result = model.outcomes(h.events)
    assert result["status"] == "FAILED"
    assert result["states"]["Validate"]["status"] == "succeeded"
    notify = result["states"]["Notify"]
    assert notify["status"] == "failed"
    assert notify["retries"] == 1
    assert (notify["error"], notify["cause"]) == ("Boom", "c2")


def test_outcomes_fail_state_and_running() -> None:
    h = History().enter("Broken", "Fail")
    h.events[-1]["stateEnteredEventDetails"]["name"] = "Broken"
    h.add("ExecutionFailed", "executionFailedEventDetails", error="Oops", cause="")
    assert model.outcomes(h.events)["states"]["Broken"]["status"] == "failed"

    running = History().enter("Slow").attempt("fn")
    running.events.pop()  # scheduled and started, not finished
    result = model.outcomes(running.events)
    assert result["status"] == "RUNNING"
    assert result["states"]["Slow"]["status"] == "running"
    assert result["states"]["Slow"]["attempts"][0]["status"] == "running"


def test_outcomes_of_a_logged_express_history() -> None:
    """Events read from a log group carry ``details`` instead of ``...EventDetails``."""
    t = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        {"id": 1, "type": "ExecutionStarted", "timestamp": t, "details": {"input": "{}"}},
        {"id": 2, "type": "PassStateEntered", "timestamp": t, "details": {"name": "P", "input": "{}"}},
        {"id": 3, "type": "PassStateExited", "timestamp": t, "details": {"name": "P", "output": "1"}},
        {"id": 4, "type": "ExecutionSucceeded", "timestamp": t, "details": {"output": "1"}},
    ]
    result = model.outcomes(events)
    assert result["states"]["P"]["status"] == "succeeded"
    rows = model.history_table(events)
    assert [r["state"] for r in rows] == ["", "P", "P", ""]
    assert rows[2]["details"] == {"name": "P", "output": "1"}
    assert rows[0]["elapsed_ms"] == 0


# --------------------------------------------------------------- which invocation an attempt was

RESULT = {  # a lambda:invoke result as AWS gives it (docs: step-functions/latest/dg/connect-lambda.html)
    "ExecutedVersion": "$LATEST",
    "Payload": {"inStock": True},
    "SdkHttpMetadata": {"HttpHeaders": {"x-amzn-RequestId": "r-ok"}, "HttpStatusCode": 200},
    "SdkResponseMetadata": {"RequestId": "r-ok"},
    "StatusCode": 200,
}
THROTTLED = (
    "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; "
    "Request ID: 5d1a4d4e-0000-4000-8000-000000000001; Proxy: null)"
)


def attempts_of(history: History, state: str) -> list[dict[str, Any]]:
    return model.outcomes(history.events)["states"][state]["attempts"]


def test_each_attempt_names_its_invocation_by_request_id() -> None:
    h = History().enter("Check")
    h.attempt("fn", "Lambda.TooManyRequestsException", THROTTLED)  # refused: never reached the function
    h.attempt(
        "fn",
        "OutOfStock",
        json.dumps({"errorMessage": "no", "errorType": "OutOfStock", "requestId": "r-err"}),
    )
    h.attempt(
        "fn",
        "Runtime.ExitError",
        json.dumps(
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: r-crash Error: Runtime exited with error: signal: killed",
            }
        ),
    )
    h.attempt("fn", output=json.dumps(RESULT)).exit("Check")
    found = [(a["requestId"], a["invoked"]) for a in attempts_of(h, "Check")]
    assert found == [
        ("5d1a4d4e-0000-4000-8000-000000000001", False),
        ("r-err", True),
        ("r-crash", True),
        ("r-ok", True),
    ]


def test_an_attempt_whose_invocation_the_history_does_not_name() -> None:
    h = History().enter("Old")
    h.attempt("fn", output='{"inStock": true}')  # a function ARN as Resource: its output only
    h.attempt("fn", "States.Timeout", "")
    found = [(a["requestId"], a["invoked"]) for a in attempts_of(h, "Old")]
    assert found == [(None, True), (None, None)]


def test_the_request_id_header_when_there_is_no_response_metadata() -> None:
    result = {"Payload": {}, "SdkHttpMetadata": {"HttpHeaders": {"X-Amzn-RequestId": "r-h"}}}
    details = {"output": json.dumps(result)}
    assert model.invocation("TaskSucceeded", details) == {"requestId": "r-h", "invoked": True}
    assert model.invocation("LambdaFunctionStartFailed", {}) == {"requestId": None, "invoked": False}
