"""orderflow.sam_artifacts on build folders laid out as `sam build` lays them out, and the local
runtime's builder (aws-lambda-builders) on a Makefile that fails: both run without SAM CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orderflow import sam_artifacts
from orderflow.runtime import build, sam_build

TEMPLATE = {
    "Globals": {"Function": {"Runtime": "python3.12", "Architectures": ["x86_64"]}},
    "Resources": {
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": "fn/", "Handler": "app.handler", "Layers": [{"Ref": "Layer"}]},
        },
        "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layer/"}},
    },
}


def dist(site: Path, name: str, version: str, record: str = "") -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text(record)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "fn").mkdir()
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "requirements.txt").write_text("pytest==9.2.0  # pinned\nwrapt==2.5.2\n")
    built = tmp_path / "build"
    (built / "Fn").mkdir(parents=True)
    (built / "Fn" / "app.py").write_text("def handler(event, context): ...\n")
    site = built / "Layer" / "python"
    dist(site, "pytest", "9.2.0")
    dist(site, "wrapt", "2.5.2", "wrapt/_wrappers.cpython-312-x86_64-linux-gnu.so,,\n")
    (site / "wrapt").mkdir()
    (site / "wrapt" / "_wrappers.cpython-312-x86_64-linux-gnu.so").write_bytes(b"\0" * 1000)
    return tmp_path


def test_a_clean_build_passes_and_reports_each_package(project: Path) -> None:
    report, problems = sam_artifacts.check(project / "build", TEMPLATE, project)
    assert problems == []
    assert report[0].startswith("Fn ") and "with layers" in report[0]
    assert report[1].startswith("Layer ") and "pytest 9.2.0, wrapt 2.5.2" in report[1]


def test_an_sdk_copy_an_unpinned_package_a_version_off_and_a_foreign_abi_are_problems(project: Path) -> None:
    site = project / "build" / "Layer" / "python"
    dist(site, "botocore", "1.44.18")
    (site / "botocore").mkdir()
    dist(site, "six", "1.17.0")
    (project / "layer" / "requirements.txt").write_text("pytest==9.1.0\nwrapt==2.5.2\nhypothesis==6.170.15\n")
    (site / "wrapt" / "_wrappers.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    _, problems = sam_artifacts.check(project / "build", TEMPLATE, project)
    assert problems == [
        "Layer: ships botocore (Lambda's runtime provides the SDK)",
        "Layer: ships botocore 1.44.18 (Lambda's runtime provides the SDK)",
        "Layer: ships pytest 9.2.0, requirements.txt pins 9.1.0",
        "Layer: ships six 1.17.0, which its requirements.txt does not pin",
        "Layer: requirements.txt pins hypothesis 6.170.15, not in the package",
        "Layer: Layer/python/wrapt/_wrappers.cpython-311-x86_64-linux-gnu.so"
        " is not built for python3.12 x86_64",
    ]


def test_a_version_other_than_the_tested_one_is_a_problem(project: Path) -> None:
    site = project / "build" / "Layer" / "python"
    for info in site.glob("pytest-*.dist-info"):
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pytest\nVersion: 9.1.0\n")
    (project / "layer" / "requirements.txt").write_text("pytest==9.1.0\nwrapt==2.5.2\n")
    _, problems = sam_artifacts.check(project / "build", TEMPLATE, project)
    assert problems == ["Layer: ships pytest 9.1.0, the tests ran 9.2.0"]


def test_the_cli_without_a_build_says_so_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orderflow.sam_artifacts", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"sam_artifacts: {tmp_path / 'nope'} does not exist (run sam build first)"
    ]


def test_a_failing_makefile_build_is_one_line_naming_the_layer_and_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "layer"
    source.mkdir()
    (source / "Makefile").write_text("build-BrokenLayer:\n\t@echo 'no such wheel' >&2; exit 3\n")
    cache = tmp_path / "cache"
    with pytest.raises(build.BuildError) as error:
        sam_build.build_package(
            cache,
            kind="layer",
            logical_id="BrokenLayer",
            source=source,
            build_method="makefile",
            architecture="x86_64",
        )
    message = str(error.value)
    assert "\n" not in message and message.startswith("layer BrokenLayer: build failed: ")
    assert list((cache / "built").iterdir()) == []


def test_a_makefile_layer_is_built_with_the_local_python_once(tmp_path: Path) -> None:
    source = tmp_path / "layer"
    source.mkdir()
    (source / "Makefile").write_text(
        'build-L:\n\tmkdir -p "$(ARTIFACTS_DIR)/python"\n'
        '\techo $(LAMBDA_PYTHON_VERSION) > "$(ARTIFACTS_DIR)/python/v"\n'
    )
    cache = tmp_path / "cache"
    first = sam_build.build_package(
        cache, kind="layer", logical_id="L", source=source, build_method="makefile", architecture="x86_64"
    )
    assert first is not None
    assert (
        first / "python" / "v"
    ).read_text().strip() == f"{sys.version_info.major}.{sys.version_info.minor}"
    (first / "marker").write_text("kept")
    again = sam_build.build_package(
        cache, kind="layer", logical_id="L", source=source, build_method="makefile", architecture="x86_64"
    )
    assert again == first and (again / "marker").is_file()
    assert sam_build.workflow("layer", "L", "nodejs20.x") is None
