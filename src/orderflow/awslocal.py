"""``orderflow aws ARGS...``: the AWS CLI against the running runtime, as LocalStack's ``awslocal``.

The endpoint is found as the client commands find it (:func:`orderflow.discovery.resolve`:
``$AWS_ENDPOINT_URL``, then the discovery record of a running ``orderflow up`` here, then
http://127.0.0.1:4566) and passed as ``--endpoint-url``, explicitly: AWS CLI v1 ignores
``AWS_ENDPOINT_URL`` (v2 reads it, https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
so the same command works with either. ARGS that carry their own ``--endpoint-url`` are run as given.
A region (the runtime's) and dummy credentials are set when the environment has none; the embedded
AWS checks no signature.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from orderflow.errors import OrderflowError

CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE")
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


def aws_command(
    args: Sequence[str], endpoint: str | None, region: str, env: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The AWS CLI's argv and environment for ``args`` against ``endpoint`` (None: as given)."""
    argv = ["aws"]
    if endpoint is not None and not any(
        a == "--endpoint-url" or a.startswith("--endpoint-url=") for a in args
    ):
        argv.append(f"--endpoint-url={endpoint}")
    argv += args
    run_env = dict(env)
    if not any(run_env.get(name) for name in CREDENTIAL_VARIABLES):
        run_env["AWS_ACCESS_KEY_ID"] = "test"
        run_env["AWS_SECRET_ACCESS_KEY"] = "test"  # noqa: S105 - the embedded AWS checks no signature
    if not any(run_env.get(name) for name in REGION_VARIABLES):
        run_env["AWS_DEFAULT_REGION"] = region
    return argv, run_env


def run_aws(args: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run the AWS CLI; its exit status. OrderflowError when it is not installed or no runtime answers."""
    from orderflow.awsclients import default_region
    from orderflow.discovery import resolve

    env = os.environ if env is None else env
    executable = shutil.which("aws", path=env.get("PATH"))
    if executable is None:
        raise OrderflowError(
            "the AWS CLI (`aws`) is not installed or not on PATH: install AWS CLI v2 "
            "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html) "
            "or v1 (pip install awscli)"
        )
    given = any(a == "--endpoint-url" or a.startswith("--endpoint-url=") for a in args)
    endpoint, region = None, None
    if not given and not _offline(args):
        found = resolve(env=env)  # NoRuntime is an OrderflowError
        endpoint, region = found.endpoint, found.region
    argv, run_env = aws_command(args, endpoint, region or default_region(), env)
    try:
        return subprocess.run([executable, *argv[1:]], env=run_env, check=False).returncode
    except KeyboardInterrupt:
        return 130


def _offline(args: Sequence[str]) -> bool:
    """Commands that ask no endpoint anything: help, --version, configure."""
    words = [a for a in args if not a.startswith("-")]
    return not words or words[0] in ("help", "configure") or "help" in words[-1:] or "--version" in args
