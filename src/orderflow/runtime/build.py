"""Function packages as ``sam build`` makes them, built once per content hash and shared.

A worker imports what the function would have on AWS and nothing else (see lambdas.py and worker.py):

- the standard library (``python -I -S``: no site-packages, no ``.pth`` files);
- the SDK Lambda's Python runtime provides: boto3, botocore and their dependencies. Locally they are
  the tool's own pinned copies (boto3/botocore 1.44.5, see pyproject.toml), linked into a folder of
  their own; AWS updates the runtime's copy on its own schedule;
- the function's package and its layers' content, built as ``sam build`` builds them (sam_build.py,
  with aws-lambda-builders) when the stack is deployed, and extracted here per content hash.

The cache (``<template dir>/.orderflow/build-cache`` unless ``ORDERFLOW_BUILD_CACHE`` or the
Runtime's ``build_cache`` says otherwise) is shared by every runtime of the checkout, whatever its
stack name:

    code/<name>-<sha>/     a deployment package (function or layer zip) extracted, per content hash
    node-sdk/<sha>/        the AWS SDK v3 Lambda's Node runtime provides (npm install, pinned)
    built/<id>-<sha>/      a function or layer built by aws-lambda-builders (key: source, workflow, python)
    zips/<id>-<sha>[-python].zip   that build zipped for upload (once: zipping was seconds of each start)
    lint/<sha>.json        cfn-lint's findings on a template (lint.py)
    sdk/<sha>/             the runtime-provided SDK (key: its versions and where they come from)
    locks/                 one lock file per entry being built

An entry is built in a temporary folder and renamed into place, under an exclusive ``flock`` so
that concurrent runtimes build it once; entries are never deleted while a runtime runs (``make
clean`` removes the whole cache).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

from orderflow.errors import OrderflowError

log = logging.getLogger("orderflow.runtime")

BUILDER_VERSION = "1"  # bump when the layout of a built entry changes
CACHE_ENV = "ORDERFLOW_BUILD_CACHE"

# What Lambda's Python runtime puts on sys.path after the function's code and layers
# (/var/runtime): the SDK and its dependencies, as importable top-level names.
SDK_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six")
SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


class BuildError(OrderflowError):
    """A package could not be built; the message is one line meant for the user."""


def default_cache_root(template_dir: Path) -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).resolve() if configured else template_dir / ".orderflow" / "build-cache"


def python_tag() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


@contextlib.contextmanager
def _locked(root: Path, name: str) -> Iterator[None]:
    locks = root / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{name}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ensure(root: Path, kind: str, key: str, build: Callable[[Path], None]) -> Path:
    """``root/kind/key``, built by ``build(tmp)`` once (atomic rename, under a lock)."""
    target = root / kind / key
    if target.is_dir():
        return target
    with _locked(root, f"{kind}-{key}"):
        if target.is_dir():  # another runtime built it while we waited
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
        try:
            build(tmp)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def cached_zip(root: Path, built: Path, prefix: str, make: Callable[[Path, str], bytes]) -> bytes:
    """``make(built, prefix)``, the zip of a folder of ``root/built`` (named by its content hash, never
    changed), made once and kept in ``root/zips``."""
    target = root / "zips" / f"{built.name}{'-' + prefix.strip('/') if prefix else ''}.zip"
    with contextlib.suppress(OSError):
        return target.read_bytes()
    data = make(built, prefix)
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)  # whole or absent for a concurrent start
    return data


# ------------------------------------------------------------------------------------------ code


def extract_zip(data: bytes, root: Path, name: str) -> Path:
    """A deployment package extracted once per content hash under ``root/code``; returns its folder."""
    digest = hashlib.sha256(data).hexdigest()[:16]

    def build(tmp: Path) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            zf.extractall(tmp)

    return _ensure(root, "code", f"{name}-{digest}", build)


# ------------------------------------------------------------------------------------------- sdk


def sdk_versions() -> dict[str, str]:
    versions = {}
    for name in SDK_DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def sdk_dir(root: Path) -> Path:
    """A folder with boto3, botocore and their dependencies (links to the tool's own copies): what
    Lambda's Python runtime provides besides the standard library."""
    origins = {}
    for module in SDK_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        origins[module] = origin.parent if origin.name == "__init__.py" else origin
    key_source = repr((BUILDER_VERSION, sorted(sdk_versions().items()), sorted(origins.items())))
    key = hashlib.sha256(key_source.encode("utf-8")).hexdigest()[:20]

    def build(tmp: Path) -> None:
        for origin in origins.values():
            (tmp / origin.name).symlink_to(origin)

    return _ensure(root, "sdk", key, build)


# -------------------------------------------------------------------------------------- node sdk

# The part of the AWS SDK for JavaScript v3 that Lambda's Node.js runtimes provide (they ship every
# client; these are the ones a Step Functions app's functions use), pinned: one release of the SDK's
# monorepo. https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included
NODE_SDK_VERSION = "3.1178.0"
NODE_SDK_PACKAGES = (
    "client-dynamodb",
    "lib-dynamodb",
    "client-sfn",
    "client-s3",
    "client-sqs",
    "client-sns",
    "client-eventbridge",
    "client-lambda",
)


def node_sdk_dir(root: Path, npm: str | None = None) -> Path:
    """``node_modules`` with the AWS SDK v3 clients Lambda's Node runtime provides, installed once
    from the npm registry into the cache (``npm install``); BuildError when it cannot be."""
    npm = npm or shutil.which("npm")
    if npm is None:
        raise BuildError("no `npm` on PATH to install the AWS SDK for JavaScript v3 the Node functions use")
    specs = [f"@aws-sdk/{name}@{NODE_SDK_VERSION}" for name in NODE_SDK_PACKAGES]
    key = hashlib.sha256(repr((BUILDER_VERSION, specs)).encode("utf-8")).hexdigest()[:20]

    def install(tmp: Path) -> None:
        log.info(
            "installing the AWS SDK for JavaScript v3 (%s) for the Node functions (first time only)",
            NODE_SDK_VERSION,
            extra={"progress": True},
        )
        (tmp / "package.json").write_text('{"name": "orderflow-node-sdk", "private": true}\n')
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", "--save-exact", *specs],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
            raise BuildError(f"npm install of the AWS SDK failed: {lines[-1] if lines else done.returncode}")

    return _ensure(root, "node-sdk", key, install) / "node_modules"
