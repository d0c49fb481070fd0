"""ARNs derived from other ARNs, the way AWS builds them."""

from __future__ import annotations


def execution_arn(state_machine_arn: str, name: str) -> str:
    """``arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>``."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name
