"""--no-iam: the same fixture app, enforcement off (functions act as the account's administrator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.runtime.runtime_support import free_port

IAM_TEMPLATE = Path(__file__).parent / "fixtures" / "iam" / "template.yaml"


def test_without_enforcement_a_function_reaches_what_its_role_does_not_allow(tmp_path: Path) -> None:
    from orderflow.runtime import Runtime
    from orderflow.runtime.moto import REGISTRY

    rt = Runtime(
        IAM_TEMPLATE,
        stack_name="noiam",
        aws_port=free_port(),
        api_port=free_port(),
        state_dir=tmp_path,
        spare_workers=0,
        iam=False,
    )
    rt.start()
    try:
        active = REGISTRY.active()
        assert "iam_role_sessions" not in active and "sfn_task_role" not in active
        assert "iam_cfn_managed_policies" in active  # the roles are still as the template says
        b_table = rt.outputs["BTableName"]
        result: Any = rt.invoke("ScopedFunction", {"op": "put", "table": b_table, "key": "k"})
        assert result.function_error is None and result.payload == "ok"
        assert rt.iam_denials == []
    finally:
        rt.stop()
