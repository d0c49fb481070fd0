"""What a worker needs to run a deployed function (:class:`FunctionSpec`): read from the embedded
Lambda's function model, its package and layers extracted into the build cache, and the credentials
of a session of its execution role. Built once per version of the function, for the worker pool."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import build, runtimes
from .embedded_aws import DUMMY_CREDENTIALS
from .lambdas import FunctionSpec
from .moto import awslambda

log = logging.getLogger("orderflow.runtime")


def worker_base_env(region: str, endpoint_url: str) -> dict[str, str]:
    """Every worker's environment, before its function's own variables and role session."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint_url,
        # botocore sends some operations (StartSyncExecution: "sync-") to a prefixed host, which
        # a local endpoint (sync-127.0.0.1) does not have. On AWS the variable is absent and the
        # prefix applies: the functions' code is the same in both places.
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **DUMMY_CREDENTIALS,
    }


class FunctionSpecs:
    """``spec_for(name)`` for the worker pool. ``resources`` and ``functions_by_name`` give the
    deployed stack's logical id -> physical id and function name -> logical id; ``client`` makes a
    boto3 client for the embedded AWS; ``iam``: each function runs with a session of its role."""

    def __init__(
        self,
        client: Callable[..., Any],
        *,
        account_id: str,
        region: str,
        build_cache: Path,
        iam: bool,
        resources: Callable[[], dict[str, str]],
        functions_by_name: Callable[[], dict[str, str]],
        launcher: Callable[[str], runtimes.Launcher] = runtimes.resolve,
    ) -> None:
        self.client = client
        self.account_id = account_id
        self.region = region
        self.build_cache = build_cache
        self.iam = iam
        self.resources = resources
        self.functions_by_name = functions_by_name
        self._specs: dict[tuple[Any, ...], FunctionSpec] = {}
        self._role_sessions: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.launcher = launcher  # which interpreter runs a declared Runtime (runtimes.resolve)
        self._warned_runtimes: set[str] = set()
        self._warned_lock = threading.Lock()  # check_handlers builds specs on 8 threads
        self._node_sdk: tuple[str, ...] | None = None

    def clear(self) -> None:
        """Forget the specs and role sessions (they belong to one start of the embedded AWS)."""
        self._specs.clear()
        self._role_sessions.clear()

    def resolve_function(self, function_name: str) -> Any:
        """moto's model of a function: its physical name, ARN or logical id."""
        name = self.resources().get(function_name, function_name)
        return awslambda.function(self.account_id, self.region, name)

    def spec_for(self, function_name: str) -> FunctionSpec:
        fn = self.resolve_function(function_name)
        layer_arns = tuple(layer["Arn"] for layer in fn.layers)
        env = tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items()))
        reserved = None if fn.reserved_concurrency in (None, "") else int(fn.reserved_concurrency)
        key = (
            fn.function_name,
            fn.code_sha_256,
            layer_arns,
            env,
            fn.handler,
            fn.run_time,
            fn.timeout,
            fn.memory_size,
            reserved,
        )
        spec = self._specs.get(key)
        if spec is None:
            root = self.build_cache
            logical_id = self.functions_by_name().get(fn.function_name, fn.function_name)
            # The deployed packages are built already (deploy.package, as `sam build` builds them):
            # the function's code and its layers, laid out as Lambda lays them out.
            code_dir = build.extract_zip(fn.code_bytes, root, fn.function_name)
            launcher = self.launcher_for(fn.run_time or "")
            layer_paths: list[str] = []
            for arn in layer_arns:
                layer = awslambda.layer_version(self.account_id, self.region, arn)
                layer_dir = build.extract_zip(layer.code_bytes, root, f"layer-{layer.name}-{layer.version}")
                layer_paths.extend(runtimes.layer_paths(layer_dir, launcher.language, launcher.version))
            runtime_env: tuple[tuple[str, str], ...] = ()
            if launcher.language == "nodejs":  # Lambda's NODE_PATH: layers, the runtime's SDK, the code
                node_path = [*layer_paths, *self._node_sdk_paths(), str(code_dir)]
                runtime_env, layer_paths = (("NODE_PATH", os.pathsep.join(node_path)),), []
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
                language=launcher.language,
                executable=launcher.executable,
                runtime_env=runtime_env,
                invalid_reason=""
                if launcher.runnable
                else f"{fn.run_time} cannot run locally: {launcher.reason}",
            )
            self._specs[key] = spec
        return spec

    def launcher_for(self, runtime: str) -> runtimes.Launcher:
        """How ``runtime``'s functions run here; its notice (a fallback, or not runnable: the one line
        ``up`` prints) is logged once per declared runtime."""
        launcher = self.launcher(runtime)
        with self._warned_lock:
            first = launcher.notice is not None and runtime not in self._warned_runtimes
            self._warned_runtimes.add(runtime)
        if first:
            log.warning("%s", launcher.notice)
        return launcher

    def _node_sdk_paths(self) -> tuple[str, ...]:
        """The AWS SDK v3 Lambda's Node runtime provides, installed once into the build cache; without
        it (npm or the registry unreachable) the functions run, and say so once."""
        if self._node_sdk is None:
            try:
                self._node_sdk = (str(build.node_sdk_dir(self.build_cache)),)
            except (OSError, build.BuildError) as exc:
                log.warning("Node functions run without the AWS SDK: %s", " ".join(str(exc).split()))
                self._node_sdk = ()
        return self._node_sdk

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
