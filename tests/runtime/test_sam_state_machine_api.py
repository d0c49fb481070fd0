"""SAM's implicit Api for a state machine's Api event is served with its Step Functions integration
(a module of its own: one runtime per process at a time, test_declared_rest_api.py holds one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runtime.runtime_support import call_api_json, serving_api, wait_execution

pytestmark = pytest.mark.e2e


SAM_STATE_MACHINE_API = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Echo
        States:
          Echo: {Type: Pass, End: true}
      Policies: []
      Events:
        Start:
          Type: Api
          Properties:
            Path: /start
            Method: post
"""


def test_a_sam_api_event_on_a_state_machine_starts_it(tmp_path: Path) -> None:
    """SAM's implicit Api for a state machine's Api event: its StartExecution integration (request
    template and "200"/"400" responses as the SAM translator writes them), in the stage path."""
    template = tmp_path / "template.yaml"
    template.write_text(SAM_STATE_MACHINE_API)
    with serving_api(template, "samflow", tmp_path / "state") as (runtime, server):
        assert runtime.api_stage == "Prod"
        status, body = call_api_json(server, "POST", "/Prod/start", {"order": 7})
        assert status == 200, body
        execution = wait_execution(runtime.client("stepfunctions"), body["executionArn"])
        assert json.loads(execution["input"]) == {"order": 7}
