"""Which IAM actions a Lambda handler's code needs, read statically from the code itself.

From the handler module, follow the imports that resolve inside the function's CodeUri and its layers
(code outside them, boto3 and Powertools included, is not followed). In every module reached:

- AWS clients/resources: a call to anything named like ``client``/``resource`` (``boto3.client``,
  ``session.resource``, a project helper ``aws_client``) with a botocore service name as first argument
  names a service;
- operations: attribute calls whose name is an operation of one of those services in botocore's model
  (``.batch_get_item(`` -> ``dynamodb:BatchGetItem``; IAM prefix = the service's signing name, so
  ``stepfunctions`` -> ``states:``), also ``get_paginator("query")`` and ``Table.batch_writer()``;
- ``TransactWriteItems`` needs no IAM action of its own but each item's: the ``Put``/``Update``/``Delete``/
  ``ConditionCheck`` keys of the dict literals in the code give PutItem/UpdateItem/DeleteItem/
  ConditionCheckItem; ``TransactGetItems`` needs GetItem; SQS ``*Batch`` calls need the single action;
- Powertools idempotency with ``DynamoDBPersistenceLayer`` needs Get/Put/Update/DeleteItem.

The result is an over-approximation at module granularity: a module that calls an operation in any of
its functions counts for every handler that imports it.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import botocore.session
from botocore import xform_name

TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
IDEMPOTENCY_ACTIONS = frozenset(
    {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
)
# Operations authorised by another operation's action (IAM has no action of their own name).
AUTHORISED_AS = {
    "dynamodb:TransactGetItems": {"dynamodb:GetItem"},
    "sqs:SendMessageBatch": {"sqs:SendMessage"},
    "sqs:DeleteMessageBatch": {"sqs:DeleteMessage"},
    "sqs:ChangeMessageVisibilityBatch": {"sqs:ChangeMessageVisibility"},
}
RESOURCE_METHODS = {("dynamodb", "batch_writer"): "BatchWriteItem"}


@cache
def available_services() -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_available_services())


@cache
def operations(service: str) -> tuple[str, dict[str, str]]:
    """(IAM prefix, snake_case method -> OperationName) of a botocore service."""
    model = botocore.session.get_session().get_service_model(service)
    prefix = model.signing_name or model.endpoint_prefix
    return prefix, {xform_name(op): op for op in model.operation_names}


@dataclass
class ModuleFacts:
    imports: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (method name, line)
    transact_kinds: set[str] = field(default_factory=set)
    idempotency: list[int] = field(default_factory=list)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those only seen by type checkers (``if TYPE_CHECKING:`` bodies)."""
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo += node.orelse
            continue
        todo += ast.iter_child_nodes(node)
    return nodes


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _first_str(call: ast.Call, keyword: str) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for kw in call.keywords:
        if kw.arg == keyword and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def module_facts(source: str, module: str, is_package: bool) -> ModuleFacts:
    facts = ModuleFacts()
    package = module if is_package else module.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            facts.imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}".strip(".") if base else parent
            facts.imports.add(base)
            facts.imports.update(f"{base}.{alias.name}" for alias in node.names)
            if base.startswith("aws_lambda_powertools.utilities.idempotency") and any(
                alias.name == "DynamoDBPersistenceLayer" for alias in node.names
            ):
                facts.idempotency.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            service = _first_str(node, "service_name")
            if service in available_services() and re.search("client|resource", name, re.IGNORECASE):
                facts.services.add(service)
            elif name == "get_paginator" and (operation := _first_str(node, "operation_name")):
                facts.calls.append((operation, node.lineno))
            elif isinstance(node.func, ast.Attribute):
                facts.calls.append((name, node.lineno))
        elif isinstance(node, ast.Dict):
            facts.transact_kinds.update(
                key.value
                for key in node.keys
                if isinstance(key, ast.Constant) and key.value in TRANSACT_ITEM_ACTIONS
            )
    return facts


@dataclass
class CodeActions:
    handler_module: str
    modules: dict[str, Path]
    actions: dict[str, list[str]]  # IAM action -> evidence ("module:line call")
    problems: list[str]


def resolve(module: str, roots: list[Path]) -> tuple[Path, bool] | None:
    for root in roots:
        base = root.joinpath(*module.split("."))
        if (base / "__init__.py").is_file():
            return base / "__init__.py", True
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py"), False
    return None


def actions_for_handler(handler: str, roots: list[Path]) -> CodeActions:
    """The IAM actions the code behind ``handler`` ("pkg.module.function") calls, with evidence."""
    handler_module = handler.rpartition(".")[0]
    modules: dict[str, Path] = {}
    facts: dict[str, ModuleFacts] = {}
    problems: list[str] = []
    if resolve(handler_module, roots) is None:
        problems.append(f"handler module {handler_module} not found under {[str(r) for r in roots]}")
    todo = [handler_module]
    while todo:
        module = todo.pop()
        if module in modules:
            continue
        found = resolve(module, roots)
        if found is None:
            continue  # outside the function's code (stdlib, boto3, powertools, ...) or a name, not a module
        path, is_package = found
        modules[module] = path
        facts[module] = module_facts(path.read_text(encoding="utf-8"), module, is_package)
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        todo += parents + sorted(facts[module].imports)

    services = {service for f in facts.values() for service in f.services}
    kinds = {kind for f in facts.values() for kind in f.transact_kinds}
    method_to_actions: dict[str, set[str]] = defaultdict(set)
    for service in services:
        try:
            prefix, ops = operations(service)
        except botocore.exceptions.UnknownServiceError:
            problems.append(f"unknown AWS service {service!r}")
            continue
        for method, op in ops.items():
            method_to_actions[method].add(f"{prefix}:{op}")
        for (resource_service, method), op in RESOURCE_METHODS.items():
            if resource_service == service:
                method_to_actions[method].add(f"{prefix}:{op}")

    actions: dict[str, list[str]] = defaultdict(list)
    for module, f in sorted(facts.items()):
        for method, line in f.calls:
            for action in sorted(method_to_actions.get(method, ())):
                evidence = f"{module}:{line} .{method}("
                if action == "dynamodb:TransactWriteItems":
                    if not kinds:
                        problems.append(
                            f"{evidence}: no Put/Update/Delete/ConditionCheck item found in the code"
                        )
                    needed = {TRANSACT_ITEM_ACTIONS[kind] for kind in kinds}
                else:
                    needed = AUTHORISED_AS.get(action, {action})
                for each in needed:
                    actions[each].append(evidence)
        for line in f.idempotency:
            for action in IDEMPOTENCY_ACTIONS:
                actions[action].append(f"{module}:{line} DynamoDBPersistenceLayer (Powertools idempotency)")
    return CodeActions(handler_module, modules, dict(actions), problems)
