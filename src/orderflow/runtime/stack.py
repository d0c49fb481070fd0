"""The stack of a runtime: the template packaged, transformed and created (or restored, or updated)
in the embedded AWS's CloudFormation, and what was deployed (outputs, resources, routes)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .api_routes import api_stage, read_routes
from .deploy import package, transform
from .http_api_routes import http_api_routes
from .lint import TemplateLint
from .model import Route, RuntimeStartError
from .moto import cfn_update, cloudformation
from .runtimes import Launcher, resolve

log = logging.getLogger("orderflow.runtime")

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass
class DeployedStack:
    """What :meth:`StackDeployer.deploy` deployed."""

    action: str  # "create", "restore" (saved state, same template) or "update"
    fingerprint: str  # of the transformed template and the parameters (kept with a saved state)
    transformed_template: dict[str, Any]
    outputs: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)  # logical id -> physical id
    resource_types: dict[str, str] = field(default_factory=dict)  # logical id -> resource type
    routes: list[Route] = field(default_factory=list)
    api_stage: str | None = None
    changes: list[str] = field(default_factory=list)  # an update: one entry per resource changed

    def functions_by_name(self) -> dict[str, str]:
        """Physical name -> logical id of every function of the stack."""
        return {
            physical: logical
            for logical, physical in self.resources.items()
            if self.resource_types[logical] == "AWS::Lambda::Function"
        }

    def resolve(self, name: str) -> str | None:
        """A fault rule's resource: a logical id -> its physical id; a physical id, queue name or
        function name of the stack -> itself; None for anything else."""
        if name in self.resources:
            return self.resources[name]
        for physical in self.resources.values():
            if name == physical or physical.endswith(("/" + name, ":" + name)):
                return physical
        return None


class StackDeployer:
    """Deploys one template as ``stack_name`` through ``client`` (a boto3 client factory for the
    embedded AWS); its phases' durations go to ``timings``."""

    def __init__(
        self,
        client: Callable[..., Any],
        *,
        template_path: Path,
        stack_name: str,
        account_id: str,
        region: str,
        api_port: int,
        parameter_overrides: dict[str, str],
        build_cache: Path,
        state_dir: Path,
        timings: dict[str, float],
        launcher: Callable[[str], Launcher] = resolve,
    ) -> None:
        self.client = client
        self.template_path = template_path
        self.stack_name = stack_name
        self.account_id = account_id
        self.region = region
        self.api_port = api_port
        self.parameter_overrides = parameter_overrides
        self.build_cache = build_cache
        self.state_dir = state_dir
        self.timings = timings
        self.launcher = launcher  # which interpreter a function's Runtime builds for (runtimes.py)

    def check_lint(self, lint: TemplateLint) -> None:
        """Wait for cfn-lint (once): RuntimeStartError with its errors, one line each."""
        if "lint_wait_ms" in self.timings:
            return
        t0 = time.perf_counter()
        findings = lint.findings()
        self.timings["lint_wait_ms"] = (time.perf_counter() - t0) * 1000
        self.timings["lint_cached"] = float(lint.cached is not None)  # findings kept for this template
        for warning in findings.warnings:
            log.warning("cfn-lint: %s", warning)
        if findings.errors:
            raise RuntimeStartError("\n".join(f"cfn-lint: {error}" for error in findings.errors))

    def deploy(
        self, template: dict[str, Any], restored: dict[str, Any] | None, lint: TemplateLint | None = None
    ) -> DeployedStack:
        """Create the stack; with a ``restored`` state whose stack exists, keep it as it was (same
        fingerprint) or update it to the changed template."""
        t0 = time.perf_counter()
        s3 = self.client("s3")
        bucket = f"{self.stack_name.lower()}-local-artifacts"[:63]
        try:
            if self.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        except s3.exceptions.BucketAlreadyOwnedByYou:  # restored from the state dir
            pass
        packaged = package(template, self.template_path.parent, s3, bucket, self.build_cache, self.launcher)
        self.timings["package_ms"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        try:
            transformed = transform(packaged, self.parameter_overrides, self.region)
        except RuntimeStartError:
            if lint is not None:  # what cfn-lint says of the template comes first, as with sam validate
                self.check_lint(lint)
            raise
        self.timings["transform_ms"] = (time.perf_counter() - t1) * 1000

        t2 = time.perf_counter()
        # CreateStack/UpdateStack run every resource's creation inside the one request: on a loaded
        # machine that can outlast botocore's 60 s read timeout, and a resent CreateStack only answers
        # "already exists". One attempt, a long wait.
        cfn = self.client("cloudformation", read_timeout=900, retries={"total_max_attempts": 1})
        if lint is not None:  # waited for as late as possible: it runs beside moto's start and the packaging
            self.check_lint(lint)
        fingerprint = hashlib.sha256(
            json.dumps(
                [transformed, sorted(self.parameter_overrides.items())], sort_keys=True, default=str
            ).encode("utf-8")
        ).hexdigest()
        deployed = DeployedStack("create", fingerprint, transformed)
        stack_args: dict[str, Any] = {
            "StackName": self.stack_name,
            "TemplateBody": json.dumps(transformed),
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in self.parameter_overrides.items()
            ],
            "Capabilities": CAPABILITIES,
        }
        expected = "CREATE_COMPLETE"
        if restored is not None and self._stack_exists(cfn):
            if restored.get("fingerprint") == fingerprint:
                deployed.action = "restore"  # the saved stack as it was: nothing to deploy
                expected = ""
            else:
                deployed.action = "update"
                expected = "UPDATE_COMPLETE"
                deployed.changes = self._update_stack(cfn, stack_args, transformed)
        else:
            cfn.create_stack(**stack_args)
        stack = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        if expected and stack["StackStatus"] != expected:
            reason = self._failure(cfn) or stack["StackStatus"]
            if deployed.action == "update":
                raise RuntimeStartError(
                    f"stack {self.stack_name} from {self.state_dir} could not be updated to the changed "
                    f"template ({stack['StackStatus']}: {reason}): delete {self.state_dir} or start with "
                    "--in-memory"
                )
            raise RuntimeStartError(f"stack {self.stack_name} {stack['StackStatus']}: {reason}")
        self.timings["create_stack_ms"] = (time.perf_counter() - t2) * 1000

        cloudformation.localize_api_urls(self.account_id, self.region, self.stack_name, self.api_port)
        stack = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        deployed.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        described = cfn.describe_stack_resources(StackName=self.stack_name)["StackResources"]
        if deployed.action == "update" and not all("LogicalResourceId" in r for r in described):
            raise RuntimeStartError(
                f"stack {self.stack_name} from {self.state_dir} could not be updated to the changed template "
                f"(moto left a changed resource without its model): delete {self.state_dir} or start with "
                "--in-memory"
            )
        deployed.resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described}
        deployed.resource_types = {r["LogicalResourceId"]: r["ResourceType"] for r in described}
        apis = [
            logical for logical, kind in deployed.resource_types.items() if kind == "AWS::ApiGateway::RestApi"
        ]
        stages = [
            logical for logical, kind in deployed.resource_types.items() if kind == "AWS::ApiGateway::Stage"
        ]
        api_ids = [deployed.resources[logical] for logical in apis]
        apigateway = self.client("apigateway")
        deployed.routes = read_routes(apigateway, api_ids) + http_api_routes(
            deployed.transformed_template, deployed.resources
        )
        deployed.api_stage = api_stage(
            apigateway, api_ids, [deployed.resources[logical] for logical in stages]
        )
        return deployed

    def _failure(self, cfn: Any) -> str | None:
        """The first failed resource as CloudFormation reports it: ``Fn (AWS::Lambda::Function)
        CREATE_FAILED: <reason>`` (DescribeStackEvents lists the newest first)."""
        events = cfn.describe_stack_events(StackName=self.stack_name)["StackEvents"]
        for event in reversed(events):
            if event["ResourceStatus"].endswith("FAILED") and event.get("ResourceStatusReason"):
                what = f"{event['LogicalResourceId']} ({event['ResourceType']}) {event['ResourceStatus']}"
                return f"{what}: {event['ResourceStatusReason']}"
        return None

    def _stack_exists(self, cfn: Any) -> bool:
        try:
            status = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]["StackStatus"]
        except cfn.exceptions.ClientError:
            return False
        return not status.startswith("DELETE")

    def _update_stack(self, cfn: Any, stack_args: dict[str, Any], transformed: dict[str, Any]) -> list[str]:
        """The saved stack updated to the changed template through UpdateStack, as CloudFormation
        applies it (see moto/cfn_update.py): planned first, so a change that cannot be applied is
        refused in one line before anything changes. What was applied, one entry per resource."""
        try:
            cfn_update.plan_stack_update(
                self.account_id, self.region, self.stack_name, transformed, dict(self.parameter_overrides)
            )
        except cfn_update.UpdateRefused as exc:
            raise RuntimeStartError(
                f"{exc}: delete {self.state_dir} (its data goes) or start with --in-memory"
            ) from None
        try:
            cfn.update_stack(**stack_args)
        except cfn.exceptions.ClientError as exc:
            message = " ".join(str(exc.response.get("Error", {}).get("Message", exc)).split())
            if "No updates are to be performed" in message:
                return []
            raise RuntimeStartError(
                f"stack {self.stack_name} from {self.state_dir} could not be updated to the changed "
                f"template ({message}): delete {self.state_dir} or start with --in-memory"
            ) from None
        return [
            change.describe()
            for change in cfn_update.last_update(self.account_id, self.region, self.stack_name) or []
        ]
