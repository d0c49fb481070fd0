"""A REST API declared resource by resource (AWS::ApiGateway::RestApi + Resource + Method + Deployment +
Stage, fixtures/rest_api - not a SAM Api) is routed by the local API: a Lambda proxy method and Step
Functions StartExecution / StartSyncExecution methods with request templates and integration
responses (https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-api-gateway.html).
Before, its routes were empty and every request was 404 "no route"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderflow.api import ApiServer
from tests.runtime.runtime_support import api_fixture, call_api_json, wait_execution

pytestmark = pytest.mark.e2e

TEMPLATE = Path(__file__).parent / "fixtures" / "rest_api" / "template.yaml"


api = api_fixture(TEMPLATE, "declared")


def test_routes_come_from_the_declared_resources(api: tuple[Any, ApiServer]) -> None:
    runtime, _ = api
    routes = {(route.method, route.path): route for route in runtime.routes}
    assert set(routes) == {("GET", "/jobs/{id}"), ("POST", "/jobs"), ("POST", "/jobs/quick")}
    assert routes[("GET", "/jobs/{id}")].function_name == runtime.resources["ReadFunction"]
    assert routes[("POST", "/jobs")].integration.action == "StartExecution"
    assert routes[("POST", "/jobs/quick")].integration.action == "StartSyncExecution"
    assert runtime.api_stage == "live"
    assert runtime.outputs["ApiUrl"].startswith("http://127.0.0.1:"), "the stage URL, localized"


def test_lambda_proxy_method(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    assert call_api_json(server, "GET", "/live/jobs/42") == (200, {"id": "42", "resource": "/jobs/{id}"})


def test_start_execution_method_runs_the_workflow_with_the_templated_input(
    api: tuple[Any, ApiServer],
) -> None:
    runtime, server = api
    status, body = call_api_json(server, "POST", "/live/jobs", {"size": 3, "note": 'a "quoted" word'})
    assert status == 200, body
    assert body["executionArn"].startswith(
        runtime.outputs["WorkflowArn"].replace(":stateMachine:", ":execution:")
    )
    assert isinstance(body["startDate"], float), "epoch seconds, as Step Functions' JSON protocol sends it"
    execution = wait_execution(runtime.client("stepfunctions"), body["executionArn"])
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"got": {"size": 3, "note": 'a "quoted" word'}}


def test_start_sync_execution_method_answers_the_output_through_its_response_template(
    api: tuple[Any, ApiServer],
) -> None:
    _, server = api
    assert call_api_json(server, "POST", "/live/jobs/quick", {"n": 21}) == (200, {"doubled": 42})


def test_a_refused_start_goes_through_the_matching_integration_response(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    # $util.escapeJavaScript escapes ' as \' (not JSON): Step Functions refuses the input with a 400,
    # which the "4\d{2}" integration response answers as 400 with Step Functions' error body
    status, body = call_api_json(server, "POST", "/live/jobs", {"note": "it's"})
    assert status == 400, body
    assert body["__type"] in ("SerializationException", "InvalidExecutionInput", "ValidationException"), body


def test_unknown_path_is_still_404(api: tuple[Any, ApiServer]) -> None:
    _, server = api
    assert call_api_json(server, "GET", "/live/nothing")[0] == 404
