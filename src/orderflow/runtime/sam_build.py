"""Function and layer packages built by the library ``sam build`` builds with: aws-lambda-builders.

SAM CLI turns each resource into one aws-lambda-builders workflow (samcli/lib/build/app_builder.py);
this module runs the same workflows with the same inputs, so the package the local runtime deploys is
the package ``sam build`` writes to ``.aws-sam/build/<LogicalId>``:

- a function without ``Metadata.BuildMethod``: the Python pip workflow over its ``CodeUri`` (the
  source copied without caches and compiled files, what its ``requirements.txt`` installs beside it);
- a layer with ``BuildMethod: python3.X``: the same workflow, its output under ``python/``;
- ``BuildMethod: makefile`` (function or layer): ``make build-<LogicalId>`` in a copy of the source with
  ``ARTIFACTS_DIR`` set (the custom make workflow).

The workflows target the interpreter that will run the function (runtimes.py: the declared
``python3.X`` where the machine has it, else the nearest one; ``PYTHON`` and ``LAMBDA_PYTHON_VERSION``
for a Makefile), with that interpreter's pip. Where it is the declared version, the package is the
one ``sam build`` makes; where it is not, a compiled extension is the same release built for the
nearest ABI. tests/build/test_sam_build.py compares the two builds file by file. A nodejs function
without a BuildMethod is built by the npm workflow where it has a ``package.json`` (its production
dependencies installed), else packaged as its source is.

A build runs in a child process (its environment carries the Makefile's overrides; the library's
logging stays out of the runtime's) and is cached by content under ``<cache>/built/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from . import build, runtimes

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", ".venv", ".aws-sam"}


def builder_version() -> str:
    try:
        return metadata.version("aws-lambda-builders")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency of the tool
        return "absent"


def local_python() -> runtimes.Launcher:
    tag = build.python_tag()
    return runtimes.Launcher(tag, "python", sys.executable, tag)


def workflow(
    kind: str, logical_id: str, build_method: str | None, launcher: runtimes.Launcher | None = None
) -> dict[str, Any] | None:
    """The aws-lambda-builders workflow SAM CLI picks for a function or layer (None: not one SAM
    builds with a Python or make workflow; the caller packages the source as it is). ``launcher``:
    what runs it (the local interpreter when None)."""
    launcher = launcher or local_python()
    method = (build_method or "").strip()
    if method == "makefile":
        return {
            "language": "provided",
            "dependency_manager": None,
            "manifest": "Makefile",
            "options": {"build_logical_id": logical_id},
            "subfolder": "",
            "runtime": "provided",
        }
    if kind == "function" and not method and launcher.language == "nodejs":
        return {  # used where the function has a package.json (build_package)
            "language": "nodejs",
            "dependency_manager": "npm",
            "manifest": "package.json",
            "options": None,
            "subfolder": "",
            "runtime": launcher.runtime,
        }
    if (kind == "function" and not method and launcher.language == "python") or method.startswith("python"):
        return {
            "language": "python",
            "dependency_manager": "pip",
            "manifest": "requirements.txt",
            "options": None,
            "subfolder": "python" if kind == "layer" else "",
            "runtime": launcher.version if launcher.language == "python" else build.python_tag(),
        }
    return None


def _source_digest(source: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part in SKIP_DIRS for part in rel.parts) or path.suffix == ".pyc" or not path.is_file():
            continue
        digest.update(rel.as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
        digest.update(b"x" if os.access(path, os.X_OK) else b"-")
    return digest.hexdigest()


def build_package(
    root: Path,
    *,
    kind: str,
    logical_id: str,
    source: Path,
    build_method: str | None,
    architecture: str,
    launcher: runtimes.Launcher | None = None,
) -> Path | None:
    """The built package of one function or layer (a folder under ``root/built``), or None when SAM
    would not build it with a Python or make workflow. ``launcher``: the interpreter that runs it
    (its Python builds it; the local one when None or not a Python)."""
    flow = workflow(kind, logical_id, build_method, launcher)
    if flow is None or not source.is_dir():
        return None
    if flow["language"] == "nodejs" and not (source / "package.json").is_file():
        return None
    python = launcher if launcher is not None and launcher.language == "python" else local_python()
    executable = python.executable or sys.executable
    key_source = json.dumps(
        [
            build.BUILDER_VERSION,
            builder_version(),
            python.version,
            executable,
            platform.machine(),
            sys.platform,
            architecture,
            flow,
            _source_digest(source),
        ]
    )
    key = hashlib.sha256(key_source.encode("utf-8")).hexdigest()[:20]
    label = f"{kind} {logical_id}"

    def run(tmp: Path) -> None:
        started = time.perf_counter()
        build.log.info(
            "building %s with aws-lambda-builders (%s) for %s (first time only; cached by content)",
            label,
            {"provided": "make", "nodejs": "npm"}.get(flow["language"], "pip"),
            launcher.runtime if launcher is not None and flow["language"] == "nodejs" else python.version,
            extra={"progress": True},
        )
        artifacts = tmp / flow["subfolder"] if flow["subfolder"] else tmp
        manifest = source / flow["manifest"]
        request = {
            "flow": flow,
            "source": str(source),
            "artifacts": str(artifacts),
            "manifest": str(manifest),
            "architecture": architecture,
            "is_building_layer": kind == "layer",
            "search_paths": [str(Path(executable).parent)],
        }
        env = {
            **os.environ,
            "PATH": os.pathsep.join([str(Path(executable).parent), os.environ.get("PATH", "")]),
            # the custom make workflow's Makefile: the interpreter and version the workers run
            "PYTHON": executable,
            "LAMBDA_PYTHON_VERSION": python.version.removeprefix("python"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "orderflow.runtime.sam_build", json.dumps(request)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {done.returncode}"
            raise build.BuildError(f"{label}: build failed: {reason}")
        build.log.info("built %s in %.1f s", label, time.perf_counter() - started, extra={"progress": True})

    return build._ensure(root, "built", f"{logical_id}-{key}", run)


def _main(request: dict[str, Any]) -> int:
    """In the child process: one LambdaBuilder.build call, as SAM CLI makes it."""
    import logging

    from aws_lambda_builders.builder import LambdaBuilder
    from aws_lambda_builders.exceptions import LambdaBuilderError

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    flow = request["flow"]
    builder = LambdaBuilder(
        language=flow["language"], dependency_manager=flow["dependency_manager"], application_framework=None
    )
    manifest = request["manifest"]
    with tempfile.TemporaryDirectory(prefix="orderflow-build-") as scratch:
        try:
            builder.build(
                request["source"],
                request["artifacts"],
                scratch,
                manifest,
                runtime=flow["runtime"],
                executable_search_paths=request["search_paths"],
                options=flow["options"],
                architecture=request["architecture"],
                is_building_layer=request["is_building_layer"],
            )
        except (LambdaBuilderError, OSError) as exc:
            print(
                str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__, file=sys.stderr
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(json.loads(sys.argv[1])))
