"""Fault injection in a running runtime (the fixture app): injected errors reach the Lambdas as botocore
ClientErrors and the state machine as the error names AWS gives; the rules endpoint and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from orderflow import cli
from orderflow.runtime.browser_guard import ADMIN_TOKEN_HEADER
from orderflow.runtime.faults import parse_rules
from tests.runtime.runtime_support import FIXTURE_TEMPLATE, run_execution, running
from tests.support.aws import local_client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The fixture app; botocore's retry sleeps in its workers skipped (time scale 0)."""
    with running(
        FIXTURE_TEMPLATE, "fxfaults", state_dir=tmp_path_factory.mktemp("state"), time_scale=0
    ) as rt:
        yield rt


@pytest.fixture(autouse=True)
def _no_rules_after(rt: Any) -> Iterator[None]:
    yield
    rt.faults.clear()


def _put(rt: Any, document: Any, token: str | None = None, **headers: str) -> requests.Response:
    sent = {ADMIN_TOKEN_HEADER: rt.admin_token if token is None else token, **headers}
    return requests.put(
        f"{rt.endpoint_url}/_orderflow/faults", data=json.dumps(document), headers=sent, timeout=10
    )


def _rule(rt: Any, name: str) -> dict[str, Any]:
    return next(r for r in rt.faults.snapshot()["rules"] if r["name"] == name)


def test_a_dynamodb_throttle_reaches_the_lambda_as_its_client_error(rt: Any) -> None:
    document = {
        "rules": [
            {
                "name": "seen",
                "service": "dynamodb",
                "operations": ["UpdateItem"],
                "resources": ["SeenTable"],  # the logical id: the physical name is SeenTable-<suffix>
                "error": "ProvisionedThroughputExceededException",
            }
        ]
    }
    assert _put(rt, document).status_code == 200
    event = {"Records": [{"dynamodb": {"NewImage": {"id": {"S": "x"}}, "SequenceNumber": "1"}}]}
    result = rt.invoke("StreamFunction", event)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "ProvisionedThroughputExceededException"
    assert "reached max retries" in result.payload["errorMessage"]  # botocore retried it, as on AWS
    rule = _rule(rt, "seen")
    assert rule["matched"] == rule["injected"] > 1

    rt.faults.clear()
    assert rt.invoke("StreamFunction", event).function_error is None


def test_a_lambda_throttle_reaches_the_state_machine_as_lambda_too_many_requests(rt: Any) -> None:
    rt.set_faults(
        parse_rules(
            {
                "rules": [
                    {
                        "name": "t",
                        "service": "lambda",
                        "resources": ["RaiserFunction"],
                        "error": "TooManyRequestsException",
                    }
                ]
            }
        )
    )
    sfn = local_client("stepfunctions", rt.endpoint_url)
    execution = run_execution(sfn, rt.outputs["WorkflowArn"], {"order": 1})
    assert execution["status"] == "FAILED"
    assert execution["error"] == "Lambda.TooManyRequestsException"
    assert "Status Code: 429" in execution["cause"]
    assert _rule(rt, "t")["injected"] == 1


def test_a_lambda_crash_fails_the_task_with_runtime_exit_error(rt: Any) -> None:
    rt.set_faults(
        parse_rules({"rules": [{"service": "lambda", "resources": ["RaiserFunction"], "error": "crash"}]})
    )
    execution = run_execution(
        local_client("stepfunctions", rt.endpoint_url), rt.outputs["WorkflowArn"], {"n": 2}
    )
    assert execution["status"] == "FAILED"
    assert execution["error"] == "Runtime.ExitError"


def test_an_sqs_error_reaches_the_state_machines_service_integration(rt: Any) -> None:
    rt.set_faults(
        parse_rules(
            {
                "rules": [
                    {
                        "name": "park",
                        "service": "sqs",
                        "operations": ["SendMessage"],
                        "resources": ["ParkedQueue"],
                        "error": "InternalError",
                    }
                ]
            }
        )
    )
    sfn = local_client("stepfunctions", rt.endpoint_url)
    execution = run_execution(sfn, rt.outputs["WorkflowArn"], {"raise": "widget"})  # Raise -> Catch -> Park
    assert execution["status"] == "FAILED"
    # moto names every ClientError of its SQS integration SQS.SdkClientException (AWS: the service's
    # exception class); the injected code is in the cause
    assert execution["error"].startswith("SQS.")
    assert "InternalError" in execution["cause"]
    assert _rule(rt, "park")["injected"] == 1


def test_changing_rules_needs_the_admin_token_and_web_pages_are_refused(rt: Any) -> None:
    document = {"rules": [{"service": "ses", "error": "Throttling"}]}
    assert _put(rt, document, token="wrong").status_code == 403
    assert requests.delete(f"{rt.endpoint_url}/_orderflow/faults", timeout=10).status_code == 403
    cross = _put(rt, document, Origin="http://evil.example")
    assert cross.status_code == 403
    preflight = requests.options(
        f"{rt.endpoint_url}/_orderflow/faults",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"},
        timeout=10,
    )
    assert preflight.status_code == 403
    read = requests.get(
        f"{rt.endpoint_url}/_orderflow/faults", headers={"Origin": "http://evil.example"}, timeout=10
    )
    assert read.status_code == 403
    assert rt.faults.snapshot()["rules"] == []
    assert requests.get(f"{rt.endpoint_url}/_orderflow/faults", timeout=10).json()["rules"] == []


def test_the_endpoint_answers_mistakes_one_line_each(rt: Any) -> None:
    answer = _put(rt, {"rules": [{"service": "dynamo", "error": "X"}, {"service": "sqs", "probability": 2}]})
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        "rules: rule 1: unknown service 'dynamo' (known: dynamodb, sqs, lambda, ses, stepfunctions, "
        "sns, events)",
        "rules: rule 2: probability must be a number from 0 to 1, not 2",
    ]
    missing = _put(
        rt, {"rules": [{"service": "sqs", "resources": ["NoSuchQueue"], "error": "InternalError"}]}
    )
    assert missing.status_code == 400
    assert missing.json()["errors"] == ["rule 1: resources: the stack has no resource 'NoSuchQueue'"]


def test_the_cli_sets_shows_and_clears_rules(
    rt: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "faults.yaml"
    rules.write_text("seed: 3\nrules:\n  - name: slow-echo\n    service: lambda\n    latency_ms: 1\n")
    common = ["--endpoint", rt.endpoint_url, "--state-dir", str(rt.state_dir)]
    assert cli.main(["faults", "set", str(rules), *common]) == 0
    assert "slow-echo" in capsys.readouterr().out
    local_client("lambda", rt.endpoint_url).invoke(FunctionName=rt.functions["EchoFunction"], Payload=b"{}")
    assert cli.main(["faults", "show", "--json", *common]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["seed"] == 3
    assert (shown["rules"][0]["matched"], shown["rules"][0]["injected"]) == (1, 1)
    assert cli.main(["faults", "clear", *common]) == 0
    assert capsys.readouterr().out.strip() == "no fault rules"

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - service: sqs\n    error: Nope\n  - service: lambda\n    flavour: 1\n    error: crash\n"
    )
    assert cli.main(["faults", "set", str(bad), *common]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"orderflow faults: {bad}: rule 1: unknown sqs error 'Nope'")
    assert (
        err[1] == f"{bad}: rule 2: unknown key 'flavour' (known: error, latency_ms, name, operations, "
        "probability, resources, service)"
    )

    assert cli.main(["faults", "clear", "--endpoint", rt.endpoint_url, "--state-dir", str(tmp_path)]) == 1
    assert "no admin token" in capsys.readouterr().err


def test_a_rule_that_fails_every_call_it_matches_warns_when_set(
    rt: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    rules = tmp_path / "faults.yaml"
    rules.write_text(
        "rules:\n"
        "  - name: every-echo\n    service: lambda\n    resources: [EchoFunction]\n"
        "    error: TooManyRequestsException\n"  # probability 1 (the default): every invoke
        "  - name: some-sqs\n    service: sqs\n    error: InternalError\n    probability: 0.5\n"
        "  - name: slow\n    service: dynamodb\n    latency_ms: 1\n"  # latency only: nothing fails
    )
    common = ["--endpoint", rt.endpoint_url, "--state-dir", str(rt.state_dir)]
    with caplog.at_level("WARNING", logger="orderflow.runtime"):
        assert cli.main(["faults", "set", str(rules), *common]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "orderflow faults: warning: rule 'every-echo' fails every lambda call (to EchoFunction) with "
        "TooManyRequestsException (probability 1): every execution that makes such a call fails there "
        "unless a Retry or Catch handles it; give a probability below 1 to fail some calls only"
    ]
    assert "every-echo" in out
    # the runtime says it too (on the `orderflow up` terminal), whoever set the rules
    assert [r.getMessage() for r in caplog.records if "fails every" in r.getMessage()] == [
        f"fault rules: {err.splitlines()[0].removeprefix('orderflow faults: warning: ')}"
    ]
    answer = _put(rt, {"rules": [{"service": "sqs", "error": "InternalError", "probability": 0.9}]}).json()
    assert answer["warnings"] == []
