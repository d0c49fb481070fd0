"""IAM enforced on the real template: every other e2e test passes under the functions' own roles;
here one permission is taken from a role while the stack runs (an IAM write, as a template edit
would be), and the order fails visibly, as it would on AWS."""

from __future__ import annotations

import ast
import copy
import json
import uuid
from typing import Any

import pytest

from tests.e2e.e2e_support import Stack

pytestmark = pytest.mark.e2e


def _document(answer: Any) -> dict[str, Any]:
    """GetRolePolicy's document. moto answers a CloudFormation role's inline policy as the Python repr
    of the template's dict (not JSON: a moto quirk, left alone), an API-written one as JSON."""
    if isinstance(answer, dict):
        return answer
    try:
        return dict(json.loads(answer))
    except ValueError:
        return dict(ast.literal_eval(answer))


def _without_action(document: dict[str, Any], action: str) -> dict[str, Any]:
    changed = {"Version": "2012-10-17", **copy.deepcopy(document)}
    for statement in changed["Statement"]:
        actions = statement.get("Action")
        if isinstance(actions, list) and action in actions:
            statement["Action"] = [a for a in actions if a != action]
        elif actions == action:
            statement["Action"] = "dynamodb:DescribeLimits"
    return changed


def test_an_order_fails_visibly_when_write_order_loses_put_item(stack: Stack) -> None:
    iam = stack.client("iam")
    role = stack.runtime.resources["WriteOrderFunctionRole"]
    saved = {
        name: _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    [(name, document)] = [(n, d) for n, d in saved.items() if "dynamodb:PutItem" in json.dumps(d)]
    iam.put_role_policy(
        RoleName=role,
        PolicyName=name,
        PolicyDocument=json.dumps(_without_action(document, "dynamodb:PutItem")),
    )
    try:
        ids = stack.seed_products(pot=5)
        order_id = f"ord-{uuid.uuid4().hex[:12]}"
        status, accepted = stack.api.post(
            "/orders",
            {"orderId": order_id, "customerId": "c-iam", "items": [{"productId": ids["pot"], "quantity": 1}]},
        )
        assert status == 202, accepted
        body, _ = stack.final_status(order_id)
        # the API names the error, never the cause (that is in the history and the function's log)
        assert body["status"] == "FAILED" and body["error"] == "ClientError", body

        events = stack.client("stepfunctions").get_execution_history(
            executionArn=accepted["executionArn"], maxResults=1000
        )["events"]
        causes = [e["taskFailedEventDetails"].get("cause", "") for e in events if e["type"] == "TaskFailed"]
        assert any(
            "AccessDeniedException" in cause and "not authorized to perform: dynamodb:PutItem" in cause
            for cause in causes
        ), causes
        # nothing written: the transaction's other item (the stock decrement) did not happen either
        assert stack.order_item(order_id) is None
        assert stack.stock_of(ids["pot"]) == 5
        denials = [d for d in stack.runtime.iam_denials if d.session.role_name == role]
        assert denials and {d.action for d in denials} == {"dynamodb:PutItem"}
        orders_table = stack.runtime.resources["OrdersTable"]
        assert all(d.resource.endswith(f":table/{orders_table}") for d in denials)
    finally:
        for policy_name, policy in saved.items():
            # SAM writes no Version; IAM's PutRolePolicy (moto's validation) wants one
            restored = {"Version": "2012-10-17", **policy}
            iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(restored))
    # the restored policy takes effect at once (IAM writes clear the decision cache)
    ids = stack.seed_products(pot=5)
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    stack.api.post(
        "/orders",
        {"orderId": order_id, "customerId": "c-iam", "items": [{"productId": ids["pot"], "quantity": 1}]},
    )
    body, _ = stack.final_status(order_id)
    assert body["status"] == "CONFIRMED", body
