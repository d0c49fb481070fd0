"""The local runtime: any SAM template, deployed into an embedded AWS, its functions in warm workers.

    with Runtime(Path("template.yaml"), aws_port=4566, api_port=3000) as rt:
        rt.outputs["ApiUrl"]            # http://127.0.0.1:3000/v1/
        rt.invoke(rt.routes[0].function_name, {...})

Generic: nothing here knows the application. Moto's backends are process-global, so one Runtime
runs per process at a time (a second ``start()`` raises RuntimeStartError).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from . import build
from . import moto as moto_layer
from .aws_wire import lambda_crash_payload
from .browser_guard import write_admin_token
from .deploy import api_routes, load_template, package, transform
from .embedded_aws import EmbeddedAws, ensure_port_free
from .faults import CRASH, FaultEngine, FaultRuleError, Injection, RulesDocument, load_document, parse_rules
from .lambdas import DEFAULT_MAX_CONCURRENCY, FunctionSpec, WorkerPool, lambda_error, layer_sys_paths
from .lint import TemplateLint
from .model import FunctionThrottled, InvokeResult, Route, RuntimeStartError
from .moto import awslambda, backends, cfn_update, cloudformation, sfn, sqs
from .moto import cloudwatch as moto_cloudwatch
from .outbox import read_outbox
from .persistence import STATE_FILE, PeriodicSnapshots, RequestGate, StateDirInUse, StateDirLock
from .service_metrics import ServiceMetrics, service_metrics_for
from .stopping import Stopping
from .streams import StreamDispatchers
from .telemetry import Telemetry, datum

log = logging.getLogger("orderflow.runtime")

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


STATUS_METRICS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}
ONE_LINE = 200


def _one_line(text: Any, limit: int = ONE_LINE) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def execution_outcome(execution: dict[str, Any]) -> str:
    """How an execution ended, in one line, generic: a FAILED one's error and cause (a Lambda error's
    ``errorType: errorMessage`` when the cause is one); a SUCCEEDED one whose output carries a
    ``reason`` (or ``error``), its ``status`` and that reason."""
    if execution["status"] != "SUCCEEDED":
        error = execution.get("error") or ""
        cause = execution.get("cause") or ""
        with contextlib.suppress(ValueError, TypeError):
            parsed = json.loads(cause)
            if isinstance(parsed, dict) and parsed.get("errorType"):
                cause = f"{parsed['errorType']}: {parsed.get('errorMessage', '')}"
        if error and cause and not cause.startswith(error):
            return _one_line(f"{error}: {cause}")
        return _one_line(cause or error)
    output = execution.get("output")
    if isinstance(output, str):
        with contextlib.suppress(ValueError):
            output = json.loads(output)
    if isinstance(output, dict):
        reason = output.get("reason") or output.get("error")
        if reason:  # e.g. a business rejection the workflow caught: {"status": "REJECTED", "reason": ...}
            status = output.get("status")
            return _one_line(f"{status}: {reason}" if isinstance(status, str) else f"reason: {reason}")
    return ""


class Runtime:
    def __init__(
        self,
        template_path: Path,
        *,
        stack_name: str = "orderflow",
        aws_port: int = 4566,
        api_port: int = 3000,
        region: str = "us-east-1",
        parameter_overrides: dict[str, str] | None = None,
        state_dir: Path | None = None,
        log_echo: bool = False,
        max_workers_per_function: int = DEFAULT_MAX_CONCURRENCY,
        build_cache: Path | None = None,
        disabled_patches: tuple[str, ...] = (),
        spare_workers: int | None = None,
        allowed_origins: tuple[str, ...] = (),
        lint: bool = False,
        host: str = "127.0.0.1",
        persist: bool = False,
        snapshot_interval: float | None = 30.0,
        faults: RulesDocument | None = None,
        time_scale: float | None = None,
        iam: bool = True,
    ):
        self.template_path = Path(template_path).resolve()
        self.stack_name = stack_name
        self.aws_port = aws_port
        self.api_port = api_port
        self.region = region
        self.parameter_overrides = dict(parameter_overrides or {})
        self.state_dir = (
            Path(state_dir) if state_dir else self.template_path.parent / ".orderflow" / stack_name
        ).resolve()
        self.log_echo = log_echo
        self.max_workers_per_function = max_workers_per_function
        # Functions' packages (code, requirements, layers, the SDK), built once per content hash and
        # shared by every runtime of the checkout whatever its stack name (see build.py).
        self.build_cache = (
            Path(build_cache) if build_cache else build.default_cache_root(self.template_path.parent)
        ).resolve()
        self._warned_runtimes: set[str] = set()

        self.endpoint_url = f"http://127.0.0.1:{aws_port}"
        self.outputs: dict[str, str] = {}
        self.resources: dict[str, str] = {}
        self.resource_types: dict[str, str] = {}
        self.routes: list[Route] = []
        self.api_stage: str | None = None
        self.transformed_template: dict[str, Any] = {}
        self.timings: dict[str, float] = {}

        self.account_id = backends.DEFAULT_ACCOUNT_ID
        self.disabled_patches = tuple(disabled_patches)
        # Worker processes spawned while the stack deploys (boto3 preloaded), each taken by a
        # function's cold start: one per function of the template (at most 16) unless said.
        self.spare_workers = spare_workers
        # Browser origins the embedded AWS answers (none by default; see browser_guard.py), and the
        # token its state-changing /moto-api/ routes need (written to <state_dir>/admin-token).
        self.allowed_origins = tuple(allowed_origins)
        self.admin_token = ""
        self.lint = lint  # cfn-lint before deploy (errors stop the start, warnings are logged)
        # The address the embedded AWS listens on; its own clients (workers, interpreter) use 127.0.0.1.
        self.host = host
        # Keep the embedded AWS's state in <state_dir>/aws-state across a stop and start (see
        # persistence.py): restored at start, written at stop and every snapshot_interval seconds.
        self.persist = persist
        self.snapshot_interval = snapshot_interval
        self.state_file = self.state_dir / STATE_FILE
        self.restored: dict[str, Any] | None = None  # the header of the state restored at start
        self.stack_action = "create"  # or "restore" (saved state, same template) or "update"
        self.stack_changes: list[str] = []  # an update: what it did, one entry per resource changed
        self._gate = RequestGate()
        # A stop refuses new work, waits for what runs (drain), then saves what still runs to resume.
        self.stopping = Stopping()
        self._quiet_executions = False  # after the stop's snapshot: interrupted executions end unseen
        self._snapshots: PeriodicSnapshots | None = None
        self._snapshot_lock = threading.Lock()
        self._fingerprint = ""
        self._state_lock: StateDirLock | None = None
        # Fault injection in the embedded AWS (see faults.py): the rules in force from the start
        # (orderflow up --faults), changed while it runs through /_orderflow/faults.
        self.faults = FaultEngine()
        self._initial_faults = faults
        # Scales botocore's retry back-off sleeps inside the functions' workers, as --time-scale
        # scales the state machine's Retry waits (None: real time).
        self.time_scale = time_scale
        # IAM enforced (see moto/iam.py): each function runs with a session of its execution role, the
        # state machines' integrations with theirs; requests of those sessions are evaluated against
        # the role's policies. Denials are logged once each (function, action, resource) and kept here.
        self.iam = iam
        self.iam_denials: list[Any] = []
        self._iam_seen: set[tuple[str, str, str]] = set()
        self._role_sessions: dict[tuple[str, str], tuple[str, str, str]] = {}
        self._server: EmbeddedAws | None = None
        self._pool: WorkerPool | None = None
        # CloudWatch, locally: function logs to /aws/lambda/<name>, metrics, the alarms evaluated.
        self.telemetry: Telemetry | None = None
        self.service_metrics: ServiceMetrics | None = None  # AWS/SQS, AWS/DynamoDB, AWS/ApiGateway
        self._streams: StreamDispatchers | None = None
        self._async: ThreadPoolExecutor | None = None
        self._moto_settings: contextlib.ExitStack | None = None
        self._started = False
        self._stopped = False
        self._lock = threading.Lock()
        self._lock_denials = threading.Lock()
        self._specs: dict[tuple[Any, ...], FunctionSpec] = {}
        self._logical_by_name: dict[str, str] = {}

    # -------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the embedded AWS and deploy the template. RuntimeStartError leaves nothing running."""
        with self._lock:
            if self._started:
                return
            self._stopped = False
            self._quiet_executions = False
            self.stopping.reset()
            t0 = time.perf_counter()
            ensure_port_free(self.aws_port, self.host)
            try:  # before anything starts
                moto_layer.check_versions(self.disabled_patches)
            except (moto_layer.MotoVersionError, KeyError) as exc:
                raise RuntimeStartError(str(exc).strip("'\"")) from exc
            template = load_template(self.template_path)
            unknown = sorted(set(self.parameter_overrides) - set(template.get("Parameters") or {}))
            if unknown:
                raise RuntimeStartError(
                    f"parameter {unknown[0]} is not declared in {self.template_path.name}"
                )
            lint = TemplateLint(self.template_path, self.region) if self.lint else None
            try:
                self._start_aws(template)
                self.timings["aws_start_ms"] = (time.perf_counter() - t0) * 1000
                self._deploy(template, lint)
                if self._initial_faults is not None:
                    try:
                        self.set_faults(self._initial_faults)
                    except FaultRuleError as exc:
                        raise RuntimeStartError(str(exc)) from None
            except RuntimeStartError:
                self._teardown()
                raise
            except BaseException as exc:
                self._teardown()
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                message = " ".join(str(exc).split()) or type(exc).__name__
                raise RuntimeStartError(f"local runtime failed to start: {message}") from exc
            finally:
                if lint is not None:
                    lint.cancel()  # finished by now, unless the start failed before waiting for it
            self._started = True
            self._resume_restored()
            self.timings["start_ms"] = (time.perf_counter() - t0) * 1000
            log.info(
                "stack %s deployed in %.0f ms at %s",
                self.stack_name,
                self.timings["start_ms"],
                self.endpoint_url,
            )

    def _check_lint(self, lint: TemplateLint) -> None:
        """Wait for cfn-lint (once): RuntimeStartError with its errors, one line each."""
        if "lint_wait_ms" in self.timings:
            return
        t0 = time.perf_counter()
        findings = lint.findings()
        self.timings["lint_wait_ms"] = (time.perf_counter() - t0) * 1000
        for warning in findings.warnings:
            log.warning("cfn-lint: %s", warning)
        if findings.errors:
            raise RuntimeStartError("\n".join(f"cfn-lint: {error}" for error in findings.errors))

    @property
    def started(self) -> bool:
        return self._started

    def begin_stop(self) -> None:
        """From now on the embedded AWS refuses new work (StartExecution, 503); all else goes on."""
        self.stopping.begin()

    def drain(self, grace: float, busy: Any = None) -> int:
        """After :meth:`begin_stop`: wait up to ``grace`` seconds (or until ``stopping.hurry()``) for
        every running execution to end and ``busy()`` (e.g. the local API's requests in flight) to be
        0; the number of executions still running."""
        self.begin_stop()

        def running() -> int:
            return len(sfn.running_executions(self.account_id, self.region)) + (busy() if busy else 0)

        self.stopping.drain(grace, running)
        return len(sfn.running_executions(self.account_id, self.region))

    def stop(self) -> None:
        """Kill the workers, stop the embedded AWS. Idempotent. A persisting runtime first writes its
        state: executions still running are saved RUNNING and resume at the next start (see
        moto/sfn_resume.py). Each is reported in one line; their Lambda invocations end quietly."""
        with self._lock:
            self.stopping.begin()
            running: list[Any] = []
            if self._started and self.persist:
                if self._snapshots is not None:
                    self._snapshots.stop()
                running = self._final_snapshot()
            elif self._started:
                running = sfn.running_executions(self.account_id, self.region)
            self._quiet_executions = True  # what they do from now on is not kept: not logged either
            self._stopped = True  # from now on, invocations of interrupted executions end quietly
            try:
                if self._started:
                    self._report_interrupted(running)
                self._teardown()
            finally:
                self._started = False

    def snapshot(self, running: list[Any] | None = None) -> dict[str, Any]:
        """Write the embedded AWS's state to :attr:`state_file` now (persisting runtimes only);
        ``running`` gets the executions it saved RUNNING (moto.state.SavedRunning)."""
        if not self.persist:
            raise RuntimeError("this runtime keeps its state in memory only (no state dir)")
        with self._snapshot_lock, self._gate.exclusive():
            t0 = time.perf_counter()
            seen = self._gate.requests
            size = moto_layer.state.save(
                self.state_file,
                {"stack_name": self.stack_name, "region": self.region, "fingerprint": self._fingerprint},
                running,
            )
        if self._snapshots is not None:
            self._snapshots.mark_saved(seen)
        elapsed = (time.perf_counter() - t0) * 1000
        self.timings["last_snapshot_ms"] = elapsed
        return {"path": str(self.state_file), "bytes": size, "ms": round(elapsed, 1)}

    def _final_snapshot(self) -> list[Any]:
        """The stop's snapshot; the executions it saved RUNNING (None: it failed)."""
        running: list[Any] = []
        try:
            self.snapshot(running)
        except Exception as exc:  # the previous snapshot (if any) stays whole
            log.warning("the state could not be saved at stop: %s", " ".join(str(exc).split()))
            return sfn.running_executions(self.account_id, self.region)
        return running

    def running_executions(self) -> list[str]:
        """The names of the executions still RUNNING, of every state machine."""
        return [execution.name for execution in sfn.running_executions(self.account_id, self.region)]

    def _report_interrupted(self, running: list[Any]) -> None:
        """One line per execution the stop cut short, saying what becomes of it."""
        for execution in running:
            line = sfn.interruption_line(execution, kept=self.persist)
            log.warning("stopping: %s", line)

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start_aws(self, template: dict[str, Any]) -> None:
        if self.persist:  # first: a refused start touches nothing of the runtime that holds the dir
            lock = StateDirLock(self.state_dir)
            try:
                lock.acquire()
            except StateDirInUse as exc:
                raise RuntimeStartError(str(exc)) from None
            self._state_lock = lock
        # Function logs are per run: the previous run's stay in logs.previous, older ones go.
        logs = self.state_dir / "logs"
        if logs.is_dir():
            shutil.rmtree(self.state_dir / "logs.previous", ignore_errors=True)
            logs.rename(self.state_dir / "logs.previous")
        # Spare worker processes first: they preload boto3 on the other core while moto imports
        # and the stack deploys (one per function of the template, see lambdas.py).
        self.telemetry = Telemetry(
            self.client,
            time_scale=self.time_scale,
            writer=lambda: moto_cloudwatch.DirectWriter(self.account_id, self.region),
            # the direct writes change the embedded AWS's state as requests do: a snapshot of a
            # persisting runtime waits for them, and they for it
            guard=self._gate.request if self.persist else None,
        )
        self.service_metrics = service_metrics_for(self, self.telemetry)
        try:
            sdk = build.sdk_dir(self.build_cache)
        except (OSError, build.BuildError) as exc:
            raise RuntimeStartError(f"cannot prepare the build cache {self.build_cache}: {exc}") from exc
        self._pool = WorkerPool(
            self._spec_for,
            sdk_paths=(str(sdk),),
            telemetry=self.telemetry,
            base_env=self._worker_base_env(),
            log_dir=self.state_dir / "logs",
            log_echo=self.log_echo,
            max_workers_per_function=self.max_workers_per_function,
            time_scale=self.time_scale,
        )
        function_types = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
        resources = template.get("Resources") or {}
        functions = sum(
            1 for r in resources.values() if isinstance(r, dict) and r.get("Type") in function_types
        )
        self._pool.prespawn(min(functions, 16) if self.spare_workers is None else self.spare_workers)

        if moto_layer.started():
            raise RuntimeStartError("another local runtime runs in this process (moto is process-global)")
        self._moto_settings = contextlib.ExitStack()
        # moto's ASL interpreter calls Lambda/SQS/... at http://localhost:{MOTO_PORT}: our server.
        self._moto_settings.enter_context(backends.executing_state_machines(self.aws_port))
        backends.reset()  # a fresh embedded AWS
        try:  # raises when another Runtime runs in this process, or for an unsupported moto
            disabled = self.disabled_patches + (() if self.iam else moto_layer.iam.ENFORCEMENT_PATCHES)
            moto_layer.start(self, disabled=tuple(dict.fromkeys(disabled)))
        except (moto_layer.MotoVersionError, KeyError) as exc:
            raise RuntimeStartError(str(exc).strip("'\"")) from exc
        self._moto_settings.callback(self._stop_moto)
        if self.persist and self.state_file.exists():
            t_load = time.perf_counter()
            try:
                self.restored = moto_layer.state.load(self.state_file)
            except moto_layer.state.StateError as exc:
                raise RuntimeStartError(str(exc)) from None
            self.timings["state_load_ms"] = (time.perf_counter() - t_load) * 1000
            interrupted = self.restored["interrupted"]
            if interrupted:
                shown = ", ".join(interrupted[:20]) + (
                    f" and {len(interrupted) - 20} more" if len(interrupted) > 20 else ""
                )
                log.warning(
                    "%d Express execution(s) were running when the state was saved, now ABORTED (%s): %s",
                    len(interrupted),
                    moto_layer.state.INTERRUPTED_ERROR,
                    shown,
                )
        self._streams = StreamDispatchers(
            self._stream_invoke, self.account_id, self.region, time_scale=self.time_scale
        )
        self._async = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-event")
        self.admin_token = write_admin_token(self.state_dir)
        self._server = EmbeddedAws(
            self.aws_port,
            {"outbox": self.outbox, "health": self._health},
            host=self.host,
            admin_token=self.admin_token,
            allowed_origins=self.allowed_origins,
            faults=self.faults,
            faults_route=self.faults_route,
            post_routes={"snapshot": self.snapshot} if self.persist else {},
            gate=self._gate if self.persist else None,
            stopping=self.stopping,
            metering=self.service_metrics.middleware,
        )
        self._server.start()
        self.telemetry.start()

    def _teardown(self) -> None:
        if self._snapshots is not None:
            self._snapshots.stop()
            self._snapshots = None
        if self._streams is not None:
            self._streams.stop()
            self._streams = None
        if self._async is not None:
            self._async.shutdown(wait=False, cancel_futures=True)
            self._async = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self.telemetry is not None:
            self.telemetry.stop()  # ships what is left while the embedded AWS still runs
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._moto_settings is not None:
            self._moto_settings.close()
            self._moto_settings = None
        if self._state_lock is not None:
            self._state_lock.release()
            self._state_lock = None
        self._specs.clear()
        self._role_sessions.clear()

    # ----------------------------------------------------------------------------------- deploy

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for the embedded AWS (``config``: botocore Config options on top)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(**{"retries": {"max_attempts": 1}, "inject_host_prefix": False, **config}),
        )

    def _deploy(self, template: dict[str, Any], lint: TemplateLint | None = None) -> None:
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
        packaged = package(template, self.template_path.parent, s3, bucket, self.build_cache)
        self.timings["package_ms"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        try:
            self.transformed_template = transform(packaged, self.parameter_overrides, self.region)
        except RuntimeStartError:
            if lint is not None:  # what cfn-lint says of the template comes first, as with sam validate
                self._check_lint(lint)
            raise
        self.timings["transform_ms"] = (time.perf_counter() - t1) * 1000

        t2 = time.perf_counter()
        # CreateStack/UpdateStack run every resource's creation inside the one request: on a loaded
        # machine that can outlast botocore's 60 s read timeout, and a resent CreateStack only answers
        # "already exists". One attempt, a long wait.
        cfn = self.client("cloudformation", read_timeout=900, retries={"total_max_attempts": 1})
        if lint is not None:  # waited for as late as possible: it runs beside moto's start and the packaging
            self._check_lint(lint)
        self._fingerprint = hashlib.sha256(
            json.dumps(
                [self.transformed_template, sorted(self.parameter_overrides.items())],
                sort_keys=True,
                default=str,
            ).encode("utf-8")
        ).hexdigest()
        stack_args: dict[str, Any] = {
            "StackName": self.stack_name,
            "TemplateBody": json.dumps(self.transformed_template),
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in self.parameter_overrides.items()
            ],
            "Capabilities": CAPABILITIES,
        }
        expected = "CREATE_COMPLETE"
        if self.restored is not None and self._stack_exists(cfn):
            if self.restored.get("fingerprint") == self._fingerprint:
                self.stack_action = "restore"  # the saved stack as it was: nothing to deploy
                expected = ""
            else:
                self.stack_action = "update"
                expected = "UPDATE_COMPLETE"
                self._update_stack(cfn, stack_args)
        else:
            cfn.create_stack(**stack_args)
        stack = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        if expected and stack["StackStatus"] != expected:
            events = cfn.describe_stack_events(StackName=self.stack_name)["StackEvents"]
            reasons = [
                e.get("ResourceStatusReason") for e in events if e["ResourceStatus"].endswith("FAILED")
            ]
            reason = next((r for r in reasons if r), stack["StackStatus"])
            if self.stack_action == "update":
                raise RuntimeStartError(
                    f"stack {self.stack_name} from {self.state_dir} could not be updated to the changed "
                    f"template ({stack['StackStatus']}: {reason}): delete {self.state_dir} or start with "
                    "--in-memory"
                )
            raise RuntimeStartError(f"stack {self.stack_name} {stack['StackStatus']}: {reason}")
        self.timings["create_stack_ms"] = (time.perf_counter() - t2) * 1000

        cloudformation.localize_api_urls(self.account_id, self.region, self.stack_name, self.api_port)
        stack = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        described = cfn.describe_stack_resources(StackName=self.stack_name)["StackResources"]
        if self.stack_action == "update" and not all("LogicalResourceId" in r for r in described):
            raise RuntimeStartError(
                f"stack {self.stack_name} from {self.state_dir} could not be updated to the changed template "
                f"(moto left a changed resource without its model): delete {self.state_dir} or start with "
                "--in-memory"
            )
        self.resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described}
        self.resource_types = {r["LogicalResourceId"]: r["ResourceType"] for r in described}
        self._logical_by_name = {
            physical: logical
            for logical, physical in self.resources.items()
            if self.resource_types[logical] == "AWS::Lambda::Function"
        }
        self.routes, self.api_stage = api_routes(self.transformed_template, self.resources)
        if self.persist and self.snapshot_interval:
            self._snapshots = PeriodicSnapshots(self._gate, self.snapshot, self.snapshot_interval)
            self._snapshots.start()

    def _stack_exists(self, cfn: Any) -> bool:
        try:
            status = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]["StackStatus"]
        except cfn.exceptions.ClientError:
            return False
        return not status.startswith("DELETE")

    def _update_stack(self, cfn: Any, stack_args: dict[str, Any]) -> None:
        """The saved stack updated to the changed template through UpdateStack, as CloudFormation
        applies it (see moto/cfn_update.py): planned first, so a change that cannot be applied is
        refused in one line before anything changes; what was applied is kept in stack_changes."""
        try:
            cfn_update.plan_stack_update(
                self.account_id,
                self.region,
                self.stack_name,
                self.transformed_template,
                dict(self.parameter_overrides),
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
                return
            raise RuntimeStartError(
                f"stack {self.stack_name} from {self.state_dir} could not be updated to the changed "
                f"template ({message}): delete {self.state_dir} or start with --in-memory"
            ) from None
        self.stack_changes = [
            change.describe()
            for change in cfn_update.last_update(self.account_id, self.region, self.stack_name) or []
        ]

    @staticmethod
    def _stop_moto() -> None:
        if moto_layer.started():
            moto_layer.stop()
        backends.reset()

    def _worker_base_env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            # botocore sends some operations (StartSyncExecution: "sync-") to a prefixed host, which
            # a local endpoint (sync-127.0.0.1) does not have. On AWS the variable is absent and the
            # prefix applies: the functions' code is the same in both places.
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            **DUMMY_CREDENTIALS,
        }
        return env

    # -------------------------------------------------------------------------------- functions

    @property
    def functions(self) -> dict[str, str]:
        """Logical id -> physical name of every function of the stack."""
        return {logical: name for name, logical in self._logical_by_name.items()}

    def functions_by_name(self) -> dict[str, str]:
        """Physical name -> logical id of every function of the stack."""
        return dict(self._logical_by_name)

    @property
    def cold_starts(self) -> dict[str, int]:
        return dict(self._pool.cold_starts) if self._pool else {}

    def _resolve_function(self, function_name: str) -> Any:
        name = self.resources.get(function_name, function_name)  # a logical id works too
        return awslambda.function(self.account_id, self.region, name)

    def _spec_for(self, function_name: str) -> FunctionSpec:
        fn = self._resolve_function(function_name)
        layer_arns = tuple(layer["Arn"] for layer in fn.layers)
        env = tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items()))
        reserved = None if fn.reserved_concurrency in (None, "") else int(fn.reserved_concurrency)
        key = (
            fn.function_name,
            fn.code_sha_256,
            layer_arns,
            env,
            fn.handler,
            fn.timeout,
            fn.memory_size,
            reserved,
        )
        spec = self._specs.get(key)
        if spec is None:
            root = self.build_cache
            logical_id = self._logical_by_name.get(fn.function_name, fn.function_name)
            # The deployed packages are built already (deploy.package, as `sam build` builds them):
            # the function's code and its layers, laid out as Lambda lays them out.
            code_dir = build.extract_zip(fn.code_bytes, root, fn.function_name)
            layer_paths: list[str] = []
            for arn in layer_arns:
                layer = awslambda.layer_version(self.account_id, self.region, arn)
                layer_dir = build.extract_zip(layer.code_bytes, root, f"layer-{layer.name}-{layer.version}")
                layer_paths.extend(layer_sys_paths(layer_dir))
            self._warn_python_version(fn.run_time or "")
            spec = FunctionSpec(
                function_name=fn.function_name,
                logical_id=logical_id,
                function_arn=fn.function_arn,
                handler=fn.handler or "",
                runtime=fn.run_time or "",
                timeout=float(fn.timeout or 3),
                memory_size=int(fn.memory_size or 128),
                environment=env + self._role_environment(fn),
                code_dir=code_dir,
                layer_paths=tuple(layer_paths),
                reserved_concurrency=reserved,
            )
            self._specs[key] = spec
        return spec

    def _warn_python_version(self, runtime: str) -> None:
        local = build.python_tag()
        if runtime.startswith("python") and runtime != local and runtime not in self._warned_runtimes:
            self._warned_runtimes.add(runtime)
            log.warning(
                "functions declare Runtime %s; they run here on the local %s (packages built for it)",
                runtime,
                local,
            )

    def _role_environment(self, fn: Any) -> tuple[tuple[str, str], ...]:
        """Lambda's credentials for a worker: a session of the function's execution role (sts
        AssumeRole against the embedded AWS, session name = function name), made once per function.
        Without IAM enforcement (or a role), the workers keep the runtime's administrator key."""
        if not self.iam or not getattr(fn, "role", None):
            return ()
        key = (fn.role, fn.function_name)
        credentials = self._role_sessions.get(key)
        if credentials is None:
            answer = self.client("sts").assume_role(
                RoleArn=fn.role, RoleSessionName=fn.function_name[:64], DurationSeconds=43200
            )["Credentials"]
            credentials = (answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
            self._role_sessions[key] = credentials
        return (
            ("AWS_ACCESS_KEY_ID", credentials[0]),
            ("AWS_SECRET_ACCESS_KEY", credentials[1]),
            ("AWS_SESSION_TOKEN", credentials[2]),
        )

    def iam_denied(self, denial: Any) -> None:
        """Hook of the iam_role_sessions patch: one warning per distinct (principal, action, resource)
        naming the function (or state machine), and the statement that would allow it."""
        who = self._logical_by_name.get(denial.session.session_name)
        if who is None:  # a state machine's session: name the role's owner (SAM: <Owner>Role)
            role_name = denial.session.role_name
            roles = [logical for logical, physical in self.resources.items() if physical == role_name]
            role = roles[0] if roles else role_name
            owner = role.removesuffix("Role")
            who = owner if owner != role and owner in self.resources else role
        key = (denial.session.role_arn, denial.action, denial.resource)
        with self._lock_denials:
            self.iam_denials.append(denial)
            if key in self._iam_seen:
                return
            self._iam_seen.add(key)
        why = "an explicit Deny" if denial.explicit_deny is not None else "no statement allows it"
        log.warning(
            "IAM denied %s (role %s): %s on %s (%s); would allow: %s",
            who,
            denial.session.role_name,
            denial.action,
            denial.resource,
            why,
            json.dumps(denial.suggested_statement()),
        )

    def state_machine_definitions(self) -> dict[str, str]:
        """Every state machine of the embedded AWS (name -> definition, as deployed)."""
        return sfn.definitions(self.account_id, self.region)

    def invoke(self, function_name: str, event: Any, request_id: str | None = None) -> InvokeResult:
        """Invoke a function (physical name, ARN or logical id) synchronously. Thread-safe.
        ``request_id``: the invocation's (the Lambda API request's); a new one when None."""
        stopped = InvokeResult(
            lambda_error("Runtime.ExitError", "the local runtime stopped"), "Unhandled", 0.0, False
        )
        if self._stopped:  # an invocation the stop cut short (an execution's task, an API request)
            return stopped
        pool = self._pool
        if pool is None:
            raise RuntimeError("the local runtime is not started")
        try:
            return pool.invoke(function_name, event, request_id)
        except FunctionThrottled:  # the Lambda API answers it with TooManyRequestsException
            raise
        except Exception as exc:  # the function does not exist, its code cannot be read, ...
            if type(exc).__name__ in ("UnknownFunctionException", "FunctionNotFound"):
                raise
            if self._stopped:  # the stop closed the workers under it: it ends quietly
                return stopped
            log.exception("invoke %s failed", function_name)
            return InvokeResult(lambda_error("Runtime.Unknown", str(exc)), "Unhandled", 0.0, False)

    def check_handlers(self, logical_ids: list[str] | None = None) -> None:
        """Start every function's worker (or only those of ``logical_ids``), importing its handler;
        RuntimeStartError names the first function whose handler does not load."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("the local runtime is not started")
        names = sorted(
            (logical, name)
            for logical, name in self.functions.items()
            if logical_ids is None or logical in logical_ids
        )
        unknown = sorted(set(logical_ids or ()) - set(self.functions))
        if unknown:
            raise RuntimeStartError(f"no function {unknown[0]} in the stack")
        with ThreadPoolExecutor(max_workers=min(8, len(names) or 1)) as executor:
            try:
                errors = list(executor.map(lambda item: (item[0], pool.check(item[1])), names))
            except build.BuildError as exc:
                raise RuntimeStartError(str(exc)) from None
        for logical_id, error in errors:
            if error is not None:
                raise RuntimeStartError(
                    f"function {logical_id}: {error['errorType']}: {' '.join(error['errorMessage'].split())}"
                )

    def kill_worker(self, function_name: str) -> list[int]:
        """Crash ``function_name`` (physical name or logical id) for real: its worker processes that
        are running an invocation die (SIGKILL); each such invocation answers ``Runtime.ExitError``,
        as Lambda does for an environment that died. The ids of the killed processes."""
        if self._pool is None:
            return []
        return self._pool.kill_busy(self.resources.get(function_name, function_name))

    @property
    def streams(self) -> StreamDispatchers | None:
        """The stream mappings' dispatchers (their ``sleep``, ``clock`` and ``backoffs``)."""
        return self._streams

    def wait_for_streams(self, timeout: float = 10.0) -> bool:
        """Block until every stream record written so far was handled by its mappings."""
        return self._streams.wait_idle(timeout) if self._streams else True

    # ------------------------------------------------------------ hooks of the moto patches

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str, request_id: str | None = None
    ) -> tuple[bytes, str | None]:
        if invocation_type == "DryRun":
            return b"", None
        if invocation_type == "Event":
            # Asynchronous invoke: run in the background, no retries/destinations locally.
            assert self._async is not None
            self._async.submit(self._invoke_event, function_name, event, request_id)
            return b"", None
        result = self.invoke(function_name, event, request_id)
        return json.dumps(result.payload).encode("utf-8"), result.function_error

    def _invoke_event(self, function_name: str, event: Any, request_id: str | None = None) -> None:
        try:
            result = self.invoke(function_name, event, request_id)
        except FunctionThrottled as exc:  # Lambda would retry it for up to 6 hours; here it is reported
            log.warning("asynchronous invoke of %s throttled: %s", function_name, exc)
            return
        if result.function_error:
            payload = result.payload if isinstance(result.payload, dict) else {}
            log.warning(
                "asynchronous invoke of %s failed: %s: %s",
                function_name,
                payload.get("errorType"),
                payload.get("errorMessage"),
            )

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None:
        if self._streams is not None:
            self._streams.submit(esm, record)

    # ------------------------------------------------------------------------------------ faults

    def _resolve_resource(self, name: str) -> str | None:
        """A rule's resource: a logical id -> its physical id; a physical id, queue name or function
        name of the stack -> itself; None for anything else."""
        if name in self.resources:
            return self.resources[name]
        for physical in self.resources.values():
            if name == physical or physical.endswith(("/" + name, ":" + name)):
                return physical
        return None

    def set_faults(self, rules: RulesDocument) -> None:
        """Replace the fault rules (FaultRuleError for a resource the stack does not have)."""
        self.faults.set_rules(rules, self._resolve_resource)
        log.info("fault rules: %d in force (seed %s)", len(rules.rules), self.faults.snapshot()["seed"])

    def faults_route(self, method: str, body: bytes) -> tuple[int, Any]:
        """``/_orderflow/faults``: GET the rules and counters, PUT a rules document (JSON or YAML),
        DELETE them all. (The guard in front asks PUT and DELETE for the admin token.)"""
        if method == "GET":
            return 200, self.faults.snapshot()
        if method == "DELETE":
            self.faults.clear()
            log.info("fault rules cleared")
            return 200, self.faults.snapshot()
        if method in ("PUT", "POST"):
            try:
                self.set_faults(parse_rules(load_document(body.decode("utf-8", "replace"), "rules"), "rules"))
            except FaultRuleError as exc:
                return 400, {"message": "invalid fault rules", "errors": exc.lines}
            return 200, self.faults.snapshot()
        return 405, {"message": f"{method} not allowed (GET, PUT, DELETE)"}

    def lambda_fault(self, function_name: str) -> Injection | None:
        """The injection (if any) for an Invoke of ``function_name`` that does not come over HTTP."""
        injection = self.faults.decide("lambda", "Invoke", [function_name])
        if injection is not None and injection.error is not None and self.service_metrics is not None:
            self.service_metrics.lambda_injection(function_name, injection.error.code)
        return injection

    # -------------------------------------------------------------------------------- CloudWatch

    def _resume_restored(self) -> None:
        """Resume the executions the state file had RUNNING (see moto/sfn_resume.py)."""
        if self.restored is None:
            return
        resumed = sfn.resume_restored(self.account_id, self.region, self.execution_event)
        if resumed:
            more = f" and {len(resumed) - 20} more" if len(resumed) > 20 else ""
            log.warning(
                "%d execution(s) interrupted by the last stop resumed: %s",
                len(resumed),
                ", ".join(r.name for r in resumed[:20]) + more,
            )

    def execution_event(self, kind: str, execution: dict[str, Any]) -> None:
        """A Step Functions execution started, resumed or ended: its AWS/States metrics and one
        console line."""
        if self._quiet_executions:  # interrupted by the stop: what it does now is not kept
            return
        if kind == "ended":
            self.stopping.notify()
        dimensions = {"StateMachineArn": execution["stateMachineArn"]}
        if kind == "resumed":
            log.info("execution resumed  %s  %s", execution["stateMachineName"], execution["name"])
            return
        if kind == "started":
            log.info("execution started  %s  %s", execution["stateMachineName"], execution["name"])
            if self.telemetry is not None:
                self.telemetry.metric([datum("AWS/States", "ExecutionsStarted", dimensions, 1, "Count")])
            return
        status = execution["status"]
        metric = STATUS_METRICS.get(status)
        if self.telemetry is not None and metric is not None:
            data = [datum("AWS/States", metric, dimensions, 1, "Count")]
            if execution.get("durationMs") is not None:
                data.append(
                    datum("AWS/States", "ExecutionTime", dimensions, execution["durationMs"], "Milliseconds")
                )
            self.telemetry.metric(data)
        took = execution.get("durationMs")
        line = f"execution ended    {execution['stateMachineName']}  {execution['name']}  {status}"
        if took is not None:
            line += f"  {took / 1000:.2f} s" if took >= 1000 else f"  {took:.0f} ms"
        outcome = execution_outcome(execution)
        if outcome:
            line += f"  {outcome}"
        (log.warning if status != "SUCCEEDED" else log.info)("%s", line)

    def flush_telemetry(self) -> None:
        """Ship the buffered log lines and metric data to the embedded CloudWatch now."""
        if self.telemetry is not None:
            self.telemetry.flush()

    def evaluate_alarms(self, now: float | None = None) -> dict[str, str]:
        """Ship what is buffered and evaluate every alarm at ``now`` (epoch seconds; default the
        clock); the alarms whose state changed -> their new state."""
        return self.telemetry.tick(now) if self.telemetry is not None else {}

    def _stream_invoke(self, function_name: str, event: Any) -> InvokeResult:
        """A stream mapping's invocation: an injected Lambda error or crash is a failed attempt,
        which the mapping retries as it does a function error."""
        injection = self.lambda_fault(function_name)
        if injection is not None and injection.error is not None:
            if injection.error.code == CRASH:
                return InvokeResult(lambda_crash_payload(str(uuid.uuid4())), "Unhandled", 0.0, False)
            return InvokeResult(lambda_error(injection.error.code, "injected fault"), "Unhandled", 0.0, False)
        try:
            return self.invoke(function_name, event)
        except FunctionThrottled as exc:  # a failed attempt: the mapping retries the batch
            return InvokeResult(lambda_error("TooManyRequestsException", str(exc)), "Unhandled", 0.0, False)

    # ------------------------------------------------------------------------------------ outbox

    def outbox(self) -> list[dict[str, Any]]:
        """Every mail the embedded SES accepted: {from, to, recipients, subject, body, time, message_id}."""
        return read_outbox(self.account_id, self.region)

    def peek_queue(self, queue_name: str, limit: int = 50) -> list[dict[str, Any]] | None:
        """Up to ``limit`` messages of a queue, without receiving them (None: no such queue)."""
        return sqs.peek_messages(self.account_id, self.region, queue_name, limit)

    def _health(self) -> dict[str, Any]:
        return {"status": "ok" if self._started else "starting", "stack": self.stack_name}
