"""What `sam build` deploys is what the tests ran (issue 23).

Both tests run the real SAM CLI (`make sam` installs it into .venv-sam; one on PATH also works) with
the interpreter the template's Runtime names (PATH or pyenv): without either they skip, saying which.

- the artifact check CI runs on the build (orderflow.sam_artifacts): no SDK copy in any package, every
  package pinned at the version the tests ran, extensions built for the template's Runtime;
- the local runtime's packages (deploy.package, what the embedded Lambda runs) equal `sam build`'s,
  file by file, for every function and layer.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from importlib import metadata
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from orderflow import sam_artifacts
from orderflow.runtime import build, runtimes
from orderflow.runtime.deploy import load_template, package

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
_ABI = re.compile(r"\.cpython-\d+-")


def template_runtime() -> str:
    runtime = ((load_template(TEMPLATE).get("Globals") or {}).get("Function") or {}).get("Runtime")
    assert isinstance(runtime, str) and runtime.startswith("python"), runtime
    return runtime


def interpreter_dir(runtime: str) -> Path | None:
    """A folder holding a working ``python3.X`` for the template's Runtime: PATH, then pyenv."""
    found = shutil.which(runtime)
    candidates = [Path(found).parent] if found else []
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(pyenv.glob(f"{runtime.removeprefix('python')}*/bin"))
    for folder in candidates:
        exe = folder / runtime
        if (
            exe.is_file()
            and subprocess.run([exe, "-c", ""], capture_output=True, check=False).returncode == 0
        ):
            return folder
    return None


@pytest.fixture(scope="module")
def sam_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sam = ROOT / ".venv-sam" / "bin" / "sam"
    if not sam.is_file():
        on_path = shutil.which("sam")
        if on_path is None:
            pytest.skip("SAM CLI not installed (make sam installs it into .venv-sam)")
        sam = Path(on_path)
    runtime = template_runtime()
    folder = interpreter_dir(runtime)
    if folder is None:
        pytest.skip(f"no {runtime} on PATH or in pyenv: sam build needs the template's Runtime")
    out = tmp_path_factory.mktemp("sam") / "build"
    env = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}
    done = subprocess.run(
        [sam, "build", "--template", TEMPLATE, "--build-dir", out],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_the_built_artifacts_are_the_tested_packages_and_no_sdk(sam_build_dir: Path) -> None:
    report, problems = sam_artifacts.check(sam_build_dir, load_template(TEMPLATE), ROOT)
    assert problems == []
    expected = sam_artifacts.packages(load_template(TEMPLATE), ROOT)
    assert [line.split()[0] for line in report] == list(expected)


def local_packages(tmp: Path) -> dict[str, Path]:
    """Every function's and layer's package as the local runtime deploys it, extracted."""
    template = load_template(TEMPLATE)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        packaged = package(template, ROOT, s3, "artifacts", build.default_cache_root(ROOT))
        out = {}
        for logical_id in sam_artifacts.packages(template, ROOT):
            props = packaged["Resources"][logical_id]["Properties"]
            where = props.get("CodeUri") or props["ContentUri"]
            body = s3.get_object(Bucket=where["Bucket"], Key=where["Key"])["Body"].read()
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                zf.extractall(tmp / logical_id)
            out[logical_id] = tmp / logical_id
    return out


def test_the_local_runtime_runs_what_sam_build_deploys(sam_build_dir: Path, tmp_path: Path) -> None:
    template = load_template(TEMPLATE)
    same_python = runtimes.resolve(template_runtime()).version == template_runtime()  # built for it
    for logical_id, local in local_packages(tmp_path).items():
        kind = sam_artifacts.packages(template, ROOT)[logical_id].kind
        built = sam_build_dir / logical_id
        ours, theirs = sam_artifacts.files(local), sam_artifacts.files(built)

        def normal(files: dict[str, str]) -> dict[str, str]:
            return {_ABI.sub(".cpython-XY-", path): digest for path, digest in files.items()}

        mine, deployed = normal(ours), normal(theirs)
        assert sorted(set(mine) ^ set(deployed)) == [], logical_id
        differing = {path for path in mine if mine[path] != deployed[path]}
        if not same_python:  # the same releases, built for the nearest interpreter's ABI
            differing -= {_ABI.sub(".cpython-XY-", p) for p in _abi_files(built)}
        assert sorted(differing) == [], logical_id

        dists = sam_artifacts.distributions(local, kind)
        assert dists == sam_artifacts.distributions(built, kind), logical_id
        assert not set(dists) & set(sam_artifacts.SDK), f"{logical_id} ships a second SDK"
        tested = {name: metadata.version(name) for name in dists}
        assert dists == tested, f"{logical_id}: the package's versions are not the ones the tests ran"


def _abi_files(built: Path) -> set[str]:
    """Relative paths of the ABI-specific files of a built package: every compiled extension, and the
    dist-info files (WHEEL's tag, RECORD's hashes, an SBOM) of each distribution that ships one."""
    out = {ext.relative_to(built).as_posix() for ext in built.rglob("*.so")}
    for record in built.rglob("*.dist-info/RECORD"):
        if ".so," in record.read_text(encoding="utf-8"):
            out |= {p.relative_to(built).as_posix() for p in record.parent.rglob("*") if p.is_file()}
    return out
