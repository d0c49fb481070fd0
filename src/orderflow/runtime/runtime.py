"""The local runtime: any SAM template, deployed into an embedded AWS, its functions in warm workers.

    with Runtime(Path("template.yaml"), aws_port=4566, api_port=3000) as rt:
        rt.outputs["ApiUrl"]            # http://127.0.0.1:3000/v1/
        rt.invoke(rt.routes[0].function_name, {...})

Generic: nothing here knows the application. Moto's backends are process-global, so one Runtime
runs per process at a time (a second ``start()`` raises RuntimeStartError).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from . import boot_log, build, embedded_aws, runtimes, sfn_local
from . import moto as moto_layer
from .browser_guard import write_admin_token
from .config import RuntimeConfig
from .deploy import load_template
from .embedded_aws import EmbeddedAws, ensure_port_free
from .faults import FaultEngine, FaultRuleError, RulesDocument, rules_route
from .function_specs import FunctionSpecs, worker_base_env
from .lambdas import WorkerPool, lambda_error
from .lint import TemplateLint
from .model import FunctionThrottled, InvokeResult, Route, RuntimeStartError
from .moto import backends, sfn, sqs
from .moto import cloudwatch as moto_cloudwatch
from .outbox import read_outbox
from .patch_hooks import RuntimeHooks
from .persistence import STATE_FILE, PeriodicSnapshots, RequestGate, StateDirLock, rotate_logs
from .service_metrics import ServiceMetrics, service_metrics_for
from .stack import DeployedStack, StackDeployer
from .stopping import Stopping
from .streams import StreamDispatchers
from .telemetry import Telemetry

log = logging.getLogger("orderflow.runtime")


def _first_20(names: list[str]) -> str:
    return ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")


class Runtime:
    def __init__(self, template_path: Path, config: RuntimeConfig | None = None, **options: Any):
        """``Runtime(template, config)``; keyword options instead of a config build one
        (``Runtime(template, aws_port=..., persist=True)``)."""
        if config is None:
            config = RuntimeConfig(**options)
        elif options:
            config = dataclasses.replace(config, **options)
        self.config = c = config
        self.template_path = Path(template_path).resolve()
        self.stack_name = stack_name = c.stack_name
        self.aws_port = aws_port = c.aws_port
        self.api_port = c.api_port or 0
        self.region = region = c.region
        self.parameter_overrides = dict(c.parameter_overrides)
        self.state_dir = (
            Path(c.state_dir) if c.state_dir else self.template_path.parent / ".orderflow" / stack_name
        ).resolve()
        self.log_echo, self.log_format = c.log_echo, c.log_format
        self.max_workers_per_function = c.max_workers_per_function
        self.build_cache = (
            Path(c.build_cache) if c.build_cache else build.default_cache_root(self.template_path.parent)
        ).resolve()

        self.endpoint_url = f"http://127.0.0.1:{aws_port}"
        self.outputs: dict[str, str] = {}
        self.resources: dict[str, str] = {}
        self.resource_types: dict[str, str] = {}
        self.routes: list[Route] = []
        self.api_stage: str | None = None
        self.transformed_template: dict[str, Any] = {}
        self._stack = DeployedStack("create", "", {})  # what the last start deployed
        self.timings: dict[str, float] = {}

        self.account_id = backends.DEFAULT_ACCOUNT_ID
        self.disabled_patches = tuple(c.disabled_patches)
        self.spare_workers = c.spare_workers
        self.allowed_origins = tuple(c.allowed_origins)
        self.admin_token = ""  # what the state-changing /moto-api/ routes need (see browser_guard.py)
        self.lint = c.lint
        self.host = c.host
        self.persist = c.persist
        self.snapshot_interval = c.snapshot_interval
        self.state_file = self.state_dir / STATE_FILE
        self.restored: dict[str, Any] | None = None  # the header of the state restored at start
        self.stack_action = "create"  # or "restore" (saved state, same template) or "update"
        self.stack_changes: list[str] = []  # an update: what it did, one entry per resource changed
        self._gate = RequestGate()
        # A stop refuses new work, waits for what runs (drain), then saves what still runs to resume.
        self.stopping = Stopping()
        self._snapshots: PeriodicSnapshots | None = None
        self._snapshot_lock = threading.Lock()
        self._fingerprint = ""
        self.faults = FaultEngine()  # config.faults in force from the start, changed while it runs
        self._initial_faults = c.faults
        self.time_scale = time_scale = c.time_scale
        self.mock_config: sfn_local.MockConfig | None = None  # config.mock_config's, loaded at start
        self.iam = iam = c.iam
        self._server: EmbeddedAws | None = None
        self._pool: WorkerPool | None = None
        # CloudWatch, locally: function logs to /aws/lambda/<name>, metrics, the alarms evaluated.
        self.telemetry: Telemetry | None = None
        self.service_metrics: ServiceMetrics | None = None  # AWS/SQS, AWS/DynamoDB, AWS/ApiGateway
        self._parts = contextlib.ExitStack()  # what start started, stopped in reverse by _teardown
        self._started = False
        self._stopped = False
        self._lock = threading.Lock()
        self._logical_by_name: dict[str, str] = {}
        # The runtime's roles: function specs for the worker pool, callbacks of the moto patches.
        self.specs = FunctionSpecs(
            self.client,
            account_id=self.account_id,
            region=region,
            build_cache=self.build_cache,
            iam=iam,
            resources=lambda: self.resources,
            functions_by_name=lambda: self._logical_by_name,
        )
        self.hooks = RuntimeHooks(
            self.invoke,
            account_id=self.account_id,
            region=region,
            time_scale=time_scale,
            faults=self.faults,
            stopping=self.stopping,
            resources=lambda: self.resources,
            functions_by_name=lambda: self._logical_by_name,
            endpoint_url=self.endpoint_url,
        )

    # -------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the embedded AWS and deploy the template. RuntimeStartError leaves nothing running."""
        with self._lock:
            if self._started:
                return
            self._stopped = False
            self.hooks.quiet = False
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
            try:  # read and checked before anything is installed
                mock = (
                    sfn_local.load_mock_config(str(self.config.mock_config))
                    if self.config.mock_config
                    else None
                )
            except sfn_local.MockConfigError as exc:
                raise RuntimeStartError(str(exc)) from None
            self.mock_config = mock
            lint = (
                TemplateLint(self.template_path, self.region, cache=self.build_cache / "lint")
                if self.lint
                else None
            )
            try:
                self._start_aws(template)
                self.timings["aws_start_ms"] = (time.perf_counter() - t0) * 1000
                self._deploy(template, lint)
                try:  # every state machine it names is deployed, and every state it mocks is one of them
                    if mock is not None:
                        definitions = self.state_machine_definitions()
                        sfn_local.validate_against_definitions(mock, definitions, require_state_machines=True)
                except sfn_local.MockConfigError as exc:
                    raise RuntimeStartError(str(exc)) from None
                if self.persist and self.snapshot_interval:
                    self._snapshots = PeriodicSnapshots(self._gate, self.snapshot, self.snapshot_interval)
                    self._snapshots.start()
                    self._parts.callback(self._snapshots.stop)
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
            boot_log.record("runtime", self.stack_name, self.timings)
            log.info(  # a restore deploys nothing: it says so
                "stack %s %s in %.0f ms at %s",
                self.stack_name,
                {"restore": "restored", "update": "updated"}.get(self.stack_action, "deployed"),
                self.timings["start_ms"],
                self.endpoint_url,
            )

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
            self.hooks.quiet = True  # what they do from now on is not kept: not logged either
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
        """Start the embedded AWS's parts, each registering its stop in ``_parts`` as it starts."""
        parts = self._parts
        parts.callback(self.specs.clear)
        if self.persist:  # first: a refused start touches nothing of the runtime that holds the dir
            lock = StateDirLock(self.state_dir)
            lock.acquire()  # StateDirInUse, a RuntimeStartError
            parts.callback(lock.release)
        rotate_logs(self.state_dir)
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
        # The workers and the hooks' threads start early but stop first (before the telemetry ships
        # its last data and the embedded AWS stops): they join ``parts`` once those have started.
        with contextlib.ExitStack() as early:
            # Spare worker processes first: they preload boto3 on the other core while moto imports
            # and the stack deploys (one per function of the template, see lambdas.py).
            self._pool = WorkerPool(
                self.specs.spec_for,
                sdk_paths=(str(sdk),),
                telemetry=self.telemetry,
                base_env=worker_base_env(self.region, self.endpoint_url),
                log_dir=self.state_dir / "logs",
                log_echo=self.log_echo,
                log_format=self.log_format,
                max_workers_per_function=self.max_workers_per_function,
                time_scale=self.time_scale,
            )
            early.callback(self._pool.close)
            function_types = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
            resources = template.get("Resources") or {}
            functions = sum(
                1 for r in resources.values() if isinstance(r, dict) and r.get("Type") in function_types
            )
            with boot_log.phase(self.timings, "workers_prespawn_ms"):
                self._pool.prespawn(
                    min(functions, 16) if self.spare_workers is None else self.spare_workers,
                    runtimes.spare_python(template, self.specs.launcher),
                )

            if moto_layer.started():
                raise RuntimeStartError("another local runtime runs in this process (moto is process-global)")
            # moto's ASL interpreter calls Lambda/SQS/... at http://localhost:{MOTO_PORT}: our server.
            parts.enter_context(backends.executing_state_machines(self.aws_port))
            backends.reset()  # a fresh embedded AWS
            try:  # raises when another Runtime runs in this process, or for an unsupported moto
                disabled = self.disabled_patches + (() if self.iam else moto_layer.iam.ENFORCEMENT_PATCHES)
                with boot_log.phase(self.timings, "moto_start_ms"):
                    moto_layer.start(self.hooks, disabled=tuple(dict.fromkeys(disabled)))
            except (moto_layer.MotoVersionError, KeyError) as exc:
                raise RuntimeStartError(str(exc).strip("'\"")) from exc
            parts.callback(self._stop_moto)
            # Step Functions Local's mock config and time scale (config), off again at stop
            parts.enter_context(sfn_local.switched_on(self.mock_config, self.time_scale))
            if self.persist and self.state_file.exists():
                self._restore()
            self.hooks.start(self.telemetry, self.service_metrics)
            early.callback(self.hooks.close)
            self.admin_token = write_admin_token(self.state_dir)
            self._server = EmbeddedAws(
                self.aws_port,
                {"outbox": self.outbox, "health": self._health},
                host=self.host,
                admin_token=self.admin_token,
                allowed_origins=self.allowed_origins,
                faults=self.faults,
                faults_route=functools.partial(rules_route, self.faults, self.set_faults),
                post_routes={"snapshot": self.snapshot} if self.persist else {},
                gate=self._gate if self.persist else None,
                stopping=self.stopping,
                metering=self.service_metrics.middleware,
            )
            self._server.start()
            parts.callback(self._server.stop)
            self.telemetry.start()
            parts.callback(self.telemetry.stop)  # ships what is left while the embedded AWS still runs
            parts.push(early.pop_all())

    def _restore(self) -> None:
        """Load the saved state of the embedded AWS into moto (persisting runtimes)."""
        t_load = time.perf_counter()
        try:
            self.restored = moto_layer.state.load(self.state_file)
        except moto_layer.state.StateError as exc:
            raise RuntimeStartError(str(exc)) from None
        self.timings["state_load_ms"] = (time.perf_counter() - t_load) * 1000
        interrupted = self.restored["interrupted"]
        if interrupted:
            log.warning(
                "%d Express execution(s) were running when the state was saved, now ABORTED (%s): %s",
                len(interrupted),
                moto_layer.state.INTERRUPTED_ERROR,
                _first_20(interrupted),
            )

    def _teardown(self) -> None:
        self._parts.close()
        self._snapshots = self._server = self._pool = None

    # ----------------------------------------------------------------------------------- deploy

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for the embedded AWS (``config``: botocore Config options on top)."""
        return embedded_aws.client(self.endpoint_url, self.region, service, **config)

    def _deploy(self, template: dict[str, Any], lint: TemplateLint | None = None) -> None:
        deployer = StackDeployer(
            self.client,
            template_path=self.template_path,
            stack_name=self.stack_name,
            account_id=self.account_id,
            region=self.region,
            api_port=self.api_port,
            parameter_overrides=self.parameter_overrides,
            build_cache=self.build_cache,
            state_dir=self.state_dir,
            timings=self.timings,
            launcher=lambda runtime: self.specs.launcher(runtime),
        )
        deployed = deployer.deploy(template, self.restored, lint)
        self.stack_action, self.stack_changes = deployed.action, deployed.changes
        self._fingerprint = deployed.fingerprint
        self.transformed_template = deployed.transformed_template
        self.outputs, self.resources = deployed.outputs, deployed.resources
        self.resource_types = deployed.resource_types
        self.routes, self.api_stage = deployed.routes, deployed.api_stage
        self._logical_by_name = deployed.functions_by_name()
        self._stack = deployed

    @staticmethod
    def _stop_moto() -> None:
        if moto_layer.started():
            moto_layer.stop()
        backends.reset()

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
        try:
            failed = pool.check_all(names)
        except build.BuildError as exc:
            raise RuntimeStartError(str(exc)) from None
        if failed is not None:
            logical_id, error = failed
            message = " ".join(error["errorMessage"].split())
            raise RuntimeStartError(f"function {logical_id}: {error['errorType']}: {message}")

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
        return self.hooks.streams

    def wait_for_streams(self, timeout: float = 10.0) -> bool:
        """Block until every stream record written so far was handled by its mappings."""
        streams = self.hooks.streams
        return streams.wait_idle(timeout) if streams else True

    @property
    def schedules(self) -> Any:
        """The scheduler of scheduled rules and Scheduler schedules (``tick(now)``, ``fired``)."""
        return self.hooks.schedules

    def wait_for_events(self, timeout: float = 10.0) -> bool:
        """Block until every EventBridge target delivery matched so far was made (or failed)."""
        events = self.hooks.events
        return events.wait_idle(timeout) if events else True

    @property
    def iam_denials(self) -> list[Any]:
        """Every request of a role session IAM refused (``moto.iam.Denial``), in order."""
        return self.hooks.iam_denials

    # ------------------------------------------------------------------------------------ faults

    def set_faults(self, rules: RulesDocument) -> None:
        """Replace the fault rules (FaultRuleError for a resource the stack does not have)."""
        self.faults.set_rules(rules, self._stack.resolve)
        log.info("fault rules: %d in force (seed %s)", len(rules.rules), self.faults.snapshot()["seed"])

    # -------------------------------------------------------------------------------- CloudWatch

    def _resume_restored(self) -> None:
        """Resume the executions the state file had RUNNING (see moto/sfn_resume.py)."""
        if self.restored is None:
            return
        resumed = sfn.resume_restored(self.account_id, self.region, self.hooks.execution_event)
        if resumed:
            log.warning(
                "%d execution(s) interrupted by the last stop resumed: %s",
                len(resumed),
                _first_20([r.name for r in resumed]),
            )

    def flush_telemetry(self) -> None:
        """Ship the buffered log lines and metric data to the embedded CloudWatch now."""
        if self.telemetry is not None:
            self.telemetry.flush()

    def evaluate_alarms(self, now: float | None = None) -> dict[str, str]:
        """Ship what is buffered and evaluate every alarm at ``now`` (epoch seconds; default the
        clock); the alarms whose state changed -> their new state."""
        return self.telemetry.tick(now) if self.telemetry is not None else {}

    # ------------------------------------------------------------------------------------ outbox

    def outbox(self) -> list[dict[str, Any]]:
        """Every mail the embedded SES accepted: {from, to, recipients, subject, body, time, message_id}."""
        return read_outbox(self.account_id, self.region)

    def peek_queue(self, queue_name: str, limit: int = 50) -> list[dict[str, Any]] | None:
        """Up to ``limit`` messages of a queue, without receiving them (None: no such queue)."""
        return sqs.peek_messages(self.account_id, self.region, queue_name, limit)

    def _health(self) -> dict[str, Any]:
        return {"status": "ok" if self._started else "starting", "stack": self.stack_name}
