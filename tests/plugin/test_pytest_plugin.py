"""The pytest plugin (orderflow.pytest_plugin), as a user of another SAM app meets it: an inner pytest
session (pytester, in a subprocess, the plugin loaded through its pytest11 entry point) runs tests
against tests/plugin/apps/<app>/, a template that is not orderflow's own."""

from __future__ import annotations

import re
import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.support.ports import later_port

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "tests" / "plugin" / "apps"
DOC = ROOT / "docs" / "pytest-plugin.md"
LOAN_FILES = ("template.yaml", "approval.asl.json", "score/app.py", "MockConfigFile.json")


def doc_block(name: str) -> str:
    """The code block that follows ```name`:`` in docs/pytest-plugin.md."""
    found = re.search(rf"^`{re.escape(name)}`[^\n]*:\n\n```\w+\n(.*?)\n```$", DOC.read_text(), re.M | re.S)
    assert found, f"docs/pytest-plugin.md has no code block for {name}"
    return found.group(1)


LOAN_TESTS = """
import json

import pytest


def test_outputs_and_a_client(orderflow_stack):
    arn = orderflow_stack.outputs["ApprovalStateMachineArn"]
    assert arn.endswith(":stateMachine:LoanApproval")
    name = orderflow_stack.outputs["ScoreFunctionName"]
    configuration = orderflow_stack.client("lambda").get_function(FunctionName=name)["Configuration"]
    assert str(configuration["Environment"]["Variables"]["MAX_RISK"]) == "60"


def test_a_small_loan_is_approved(orderflow_stack):
    execution = orderflow_stack.start_execution("ApprovalStateMachine", {"amount": 20000})
    described = execution.wait(30)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"decision": "approved", "risk": 20}
    history = orderflow_stack.history(execution)
    assert history.types()[0] == "ExecutionStarted" and "ChoiceStateEntered" in history.types()
    assert "Decide" in str(history)


def test_the_override_raised_the_limit(orderflow_stack):
    # risk 55: rejected at the template's MaxRisk 50, approved at the override's 60
    described = orderflow_stack.start_execution("ApprovalStateMachine", {"amount": 55000}).wait(30)
    assert described["status"] == "SUCCEEDED"


def test_a_large_loan_is_rejected_by_arn(orderflow_stack):
    arn = orderflow_stack.outputs["ApprovalStateMachineArn"]
    described = orderflow_stack.start_execution(arn, {"amount": 90000}).wait(30)
    assert (described["status"], described["error"]) == ("FAILED", "LoanRejected")


def test_a_mocked_score(orderflow_stack):
    execution = orderflow_stack.start_execution("ApprovalStateMachine", {"amount": 1}, test_case="HighRisk")
    assert execution.wait(30)["status"] == "FAILED"


def test_an_unknown_state_machine(orderflow_stack):
    with pytest.raises(LookupError, match="its state machines: ApprovalStateMachine"):
        orderflow_stack.start_execution("Nope", {})


def test_fails_on_purpose(orderflow_stack):
    described = orderflow_stack.start_execution("ApprovalStateMachine", {"amount": 97000}).wait(30)
    assert described["status"] == "SUCCEEDED"
"""


def test_the_docs_example_is_the_tested_app() -> None:
    for name in LOAN_FILES:
        assert doc_block(name) == (APPS / "loan_approval" / name).read_text().rstrip(), name


def test_the_plugin_is_registered_as_a_pytest_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("orderflow") == "orderflow.pytest_plugin", "reinstall the package: pip install -e ."


def test_without_a_template_the_fixture_says_so_and_nothing_starts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import sys

        def test_wants_the_stack(orderflow_stack):
            pass

        def test_nothing_of_the_runtime_was_imported():
            assert [m for m in ("orderflow.session", "orderflow.runtime", "moto") if m in sys.modules] == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*orderflow_stack needs a template: pass --orderflow-template*"])


def test_a_choice_and_a_lambda_task_with_overrides_and_a_mock_config(pytester: pytest.Pytester) -> None:
    app = shutil.copytree(APPS / "loan_approval", pytester.path / "loan_approval")
    # the docs' example test, and more that use every part of the fixture (one fails on purpose)
    aws_port, api_port = later_port(), later_port()
    ports_test = (
        "def test_the_ports_given(orderflow_stack):\n"
        f"    assert orderflow_stack.endpoint_url == 'http://127.0.0.1:{aws_port}'\n"
        f"    assert orderflow_stack.api_url.startswith('http://127.0.0.1:{api_port}/')\n"
    )
    pytester.makepyfile(
        test_loans=LOAN_TESTS, test_loan_approval=doc_block("test_loan_approval.py"), test_ports=ports_test
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:randomly",
        "--orderflow-aws-port",
        str(aws_port),
        "--orderflow-api-port",
        str(api_port),
        "--orderflow-template",
        str(app / "template.yaml"),
        "--orderflow-parameter-overrides",
        "MaxRisk=60",
        "--orderflow-mock-config",
        str(app / "MockConfigFile.json"),
        "--orderflow-time-scale",
        "0",
    )
    result.assert_outcomes(passed=11, failed=1)
    # the failing test's report shows its execution's history, as `orderflow history` prints it
    result.stdout.fnmatch_lines(
        [
            "*test_fails_on_purpose*",
            "*orderflow execution history: arn:aws:states:*:execution:LoanApproval:*",
            "execution * FAILED *",
            "LoanRejected: the risk is above the limit",
            "*Rejected*FailStateEntered*",
        ]
    )
    sections = result.stdout.str().count("orderflow execution history:")
    assert sections == 1  # only the failing test's execution


def test_a_bad_parameter_is_one_line_and_no_traceback(pytester: pytest.Pytester) -> None:
    app = shutil.copytree(APPS / "loan_approval", pytester.path / "loan_approval")
    pytester.makepyfile(test_inner="def test_wants_the_stack(orderflow_stack):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--orderflow-template", str(app / "template.yaml"),
        "--orderflow-parameter-overrides", "MaxRisk=500 Nope=1",
    )  # fmt: skip
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_wants_the_stack*",
            "orderflow_stack: parameter MaxRisk='500': above MaxValue 100",
            "orderflow_stack: parameter Nope is not declared in the template (declared: MaxRisk)",
        ]
    )
    assert "Traceback" not in result.stdout.str() and "During handling" not in result.stdout.str()


def test_a_bad_port_is_a_usage_error_and_nothing_starts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="def test_wants_the_stack(orderflow_stack):\n    pass\n")
    result = pytester.runpytest_subprocess("--orderflow-template", "t.yaml", "--orderflow-aws-port", "70000")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*error: argument --orderflow-aws-port: invalid port value: '70000'"])
    assert "Traceback" not in result.stderr.str()
