"""samconfig.toml: `sam build && sam deploy` works with no flags and names the stack."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.template.template_support import ROOT


@pytest.fixture(scope="module")
def samconfig() -> dict[str, Any]:
    with (ROOT / "samconfig.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_samconfig_is_version_0_1(samconfig):
    assert samconfig["version"] == 0.1


def test_deploy_names_the_stack_and_asks_before_changing_it(samconfig):
    deploy = samconfig["default"]["deploy"]["parameters"]
    assert deploy["stack_name"] == "orderflow"
    assert samconfig["default"]["global"]["parameters"]["stack_name"] == "orderflow"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True
    assert deploy["capabilities"].split() == ["CAPABILITY_IAM"]


def test_build_is_cached_and_parallel_and_validate_lints(samconfig):
    assert samconfig["default"]["build"]["parameters"] == {"cached": True, "parallel": True}
    assert samconfig["default"]["validate"]["parameters"]["lint"] is True


NAMED_IAM_PROPERTIES = {"RoleName", "ManagedPolicyName", "UserName", "GroupName", "InstanceProfileName"}


def needs_more_than_capability_iam(cfn: dict[str, Any]) -> list[str]:
    """Named IAM resources need CAPABILITY_NAMED_IAM, nested applications CAPABILITY_AUTO_EXPAND."""
    return [
        name
        for name, resource in cfn["Resources"].items()
        if (
            resource["Type"].startswith("AWS::IAM::")
            and NAMED_IAM_PROPERTIES & set(resource.get("Properties", {}))
        )
        or resource["Type"] in {"AWS::Serverless::Application", "AWS::CloudFormation::Stack"}
    ]


def test_capability_iam_is_enough_for_the_template(transformed, template):
    assert needs_more_than_capability_iam(template) == []
    assert needs_more_than_capability_iam(transformed) == []


def test_capability_check_sees_a_named_role(transformed):
    role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "fixed"}}
    assert needs_more_than_capability_iam({"Resources": {**transformed["Resources"], "Named": role}}) == [
        "Named"
    ]
