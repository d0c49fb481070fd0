"""sfn_mock_config (runtime/moto/sfn_local_hooks.py): Step Functions Local's <arn>#<TestCase>.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from orderflow.runtime.moto import REGISTRY, sfn_local_hooks
from orderflow.runtime.sfn_local.mock_config import parse_mock_config
from tests.moto_patches.support import (
    CHARGE_MACHINE,
    MOCK_CONFIG,
    client,
    create_state_machine,
    finished_execution,
    gap,
)

# ------------------------------------------------------------------------------ sfn_mock_config


def check_sfn_mock_config() -> None:
    """Step Functions Local's <arn>#<TestCase>: the mocked response instead of calling Lambda."""
    sfn_local_hooks.set_mock_config(parse_mock_config(json.dumps(MOCK_CONFIG)))
    try:
        sfn = client("stepfunctions")
        arn = create_state_machine(sfn, CHARGE_MACHINE, name="checkout")
        try:
            execution_arn = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", name="run", input="{}")[
                "executionArn"
            ]
        except ClientError as exc:
            raise AssertionError(f"StartExecution on <arn>#HappyPath refused: {exc}") from exc
        assert execution_arn == f"{arn.replace(':stateMachine:', ':execution:')}:run"
        finished = finished_execution(sfn, execution_arn)
        assert finished["status"] == "SUCCEEDED", finished
        assert json.loads(finished["output"]) == {"charged": True}
    finally:
        sfn_local_hooks.set_mock_config(None)


@gap("sfn_mock_config")
def test_sfn_mock_config_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_mock_config()


def test_sfn_mock_config_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_mock_config"):
        check_sfn_mock_config()
