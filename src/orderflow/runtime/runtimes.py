"""Which local program runs a function's ``Runtime`` (:class:`Launcher`), and how a worker starts.

- ``python3.X``: that interpreter where the machine has one - ``python3.X`` on PATH (pyenv's shims
  skipped: they answer only for the selected versions) or pyenv's ``<pyenv root>/versions/3.X.*`` -
  the tool's own interpreter for its own version. Where it is missing, the nearest version present
  (the newer one on a tie), and ``up`` says so in one line. The function's packages are built for the
  interpreter that runs it (sam_build.py).
- ``nodejs*``: ``node`` on PATH runs worker.js, the Node counterpart of worker.py; the AWS SDK v3
  that Lambda's Node runtime provides comes from the build cache (build.node_sdk_dir).
- anything else (java, dotnet, provided.*, node without ``node``) cannot run here: the function's
  invocations fail with ``Runtime.InvalidRuntime``; the rest of the stack runs.

See docs/runtimes.md.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PYTHON_WORKER = Path(__file__).with_name("worker.py")
NODE_WORKER = Path(__file__).with_name("worker.js")
PYTHON_MINORS = tuple(range(8, 15))  # the python3.X runtimes Lambda has had, and the next one
INVALID_RUNTIME = "Runtime.InvalidRuntime"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


@dataclass(frozen=True)
class Launcher:
    """How functions of one declared ``runtime`` run here."""

    runtime: str  # as the template declares it
    language: str  # "python", "nodejs", or "" (cannot run locally)
    executable: str | None  # the interpreter (None: cannot run locally)
    version: str  # what runs them: "python3.12", "node20", or the declared runtime
    notice: str | None = None  # the one line ``up`` prints about it (a fallback, or not runnable)
    reason: str = ""  # why it cannot run here

    @property
    def runnable(self) -> bool:
        return bool(self.language and self.executable)


def python_tag(minor: int) -> str:
    return f"python3.{minor}"


def _pyenv_root() -> Path | None:
    configured = os.environ.get("PYENV_ROOT")
    if configured:
        return Path(configured)
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


@cache
def find_python(minor: int) -> str | None:
    """The path of a ``python3.<minor>`` interpreter on this machine, or None."""
    if (3, minor) == sys.version_info[:2]:
        return sys.executable
    name = f"python3.{minor}"
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / name
        if folder and "shims" not in Path(folder).parts and os.access(candidate, os.X_OK):
            return str(candidate)
    root = _pyenv_root()
    if root is not None:
        found = sorted(
            glob.glob(str(root / "versions" / f"3.{minor}.*" / "bin" / name)),
            key=lambda path: [int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", Path(path).parts[-3])],
        )
        if found:
            return found[-1]
    return None


@cache
def find_node() -> tuple[str, int] | None:
    """``node`` on PATH and its major version, or None."""
    node = shutil.which("node")
    if node is None:
        return None
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
        return node, int(version.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def resolve(
    runtime: str,
    find_python: Callable[[int], str | None] = find_python,
    find_node: Callable[[], tuple[str, int] | None] = find_node,
) -> Launcher:
    """The :class:`Launcher` for ``runtime`` (the finders are injectable for tests)."""
    python = re.fullmatch(r"python3\.(\d+)", runtime)
    if python:
        wanted = int(python.group(1))
        exact = find_python(wanted)
        if exact is not None:
            return Launcher(runtime, "python", exact, runtime)
        present = [(minor, path) for minor in PYTHON_MINORS if (path := find_python(minor)) is not None]
        if not present:  # pragma: no cover - the tool's own interpreter is always there
            return _invalid(runtime, f"no python3 interpreter here for {runtime}")
        minor, path = min(present, key=lambda item: (abs(item[0] - wanted), -item[0]))
        return Launcher(
            runtime,
            "python",
            path,
            python_tag(minor),
            f"functions declare Runtime {runtime}; there is no python3.{wanted} here: they run on "
            f"{python_tag(minor)} (packages built for it)",
        )
    if runtime.startswith("nodejs"):
        node = find_node()
        if node is None:
            return _invalid(runtime, "no `node` on PATH")
        return Launcher(runtime, "nodejs", node[0], f"node{node[1]}")
    return _invalid(runtime, "not a runtime the local runtime runs (python3.x and nodejs only)")


def _invalid(runtime: str, why: str) -> Launcher:
    return Launcher(
        runtime,
        "",
        None,
        runtime,
        f"functions with Runtime {runtime or '(none)'} cannot run here ({why}): their invocations "
        f"fail with {INVALID_RUNTIME}; the rest of the stack runs",
        why,
    )


def spare_python(template: dict[str, Any], launcher: Callable[[str], Launcher]) -> str | None:
    """The interpreter most of the template's Python functions run on (the spare workers'), or None."""
    resources = template.get("Resources") or {}
    default = ((template.get("Globals") or {}).get("Function") or {}).get("Runtime")
    declared = Counter(
        str((resource.get("Properties") or {}).get("Runtime") or default)
        for resource in resources.values()
        if isinstance(resource, dict) and resource.get("Type") in FUNCTION_TYPES
    )
    for runtime, _ in declared.most_common():
        chosen = launcher(runtime)
        if chosen.language == "python":
            return chosen.executable
    return None


def worker_command(language: str, executable: str, fd: int, sdk_paths: tuple[str, ...]) -> list[str]:
    """The command line of a worker process talking over the inherited socket ``fd``."""
    if language == "nodejs":
        return [executable, str(NODE_WORKER), str(fd)]
    # -I -S: no site-packages (the tool's own), the script's folder off sys.path; the SDK folders
    # come as arguments
    return [executable, "-I", "-S", "-u", str(PYTHON_WORKER), str(fd), *sdk_paths]


def layer_paths(layer_dir: Path, language: str, version: str) -> list[str]:
    """The folders Lambda's runtime searches for a layer extracted at /opt: ``python/`` (and
    ``python/lib/python3.X/site-packages``) for Python, ``nodejs/node<major>/node_modules`` and
    ``nodejs/node_modules`` for Node.
    https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths"""
    if language == "nodejs":
        candidates = [layer_dir / "nodejs" / version / "node_modules", layer_dir / "nodejs" / "node_modules"]
    else:
        python = layer_dir / "python"
        candidates = [python / "lib" / version / "site-packages", python]
    return [str(path) for path in candidates if path.is_dir()]
