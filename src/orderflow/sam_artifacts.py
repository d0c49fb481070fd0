"""What ``sam build`` would deploy, checked: ``python -m orderflow.sam_artifacts [BUILD_DIR]``.

For every function and layer of the template, in ``BUILD_DIR`` (default ``.aws-sam/build``):

- no boto3, botocore, s3transfer or urllib3: Lambda's Python runtime provides the SDK, and a copy in a
  package would shadow it (and is not the one the tests ran);
- every installed distribution is one its ``requirements.txt`` pins, at that version, and the version
  the tests ran (the one installed beside this tool); every pinned one is there;
- every compiled extension is built for the template's Runtime (``cpython-312``...);
- each function's package size, unzipped, with its layers (Lambda's limit is 250 MB, with layers).

Prints one line per package and per problem; exits 1 when there is a problem.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

SDK = ("boto3", "botocore", "s3transfer", "urllib3")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)")
_ABI = re.compile(r"\.cpython-(\d+)-([a-z0-9_]+)-linux-gnu\.so$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Package:
    logical_id: str
    kind: str  # function | layer
    source: Path  # CodeUri / ContentUri
    runtime: str
    architecture: str
    layers: list[str] = field(default_factory=list)


def packages(template: dict[str, Any], base: Path) -> dict[str, Package]:
    """Every function and layer with a local code folder, by logical id."""
    resources = template.get("Resources") or {}
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    out: dict[str, Package] = {}
    for logical_id, resource in resources.items():
        props = {**globals_fn, **(resource.get("Properties") or {})}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            layers = [
                ref["Ref"] for ref in props.get("Layers") or [] if isinstance(ref, dict) and "Ref" in ref
            ]
            out[logical_id] = Package(
                logical_id,
                "function",
                base / props["CodeUri"],
                str(props.get("Runtime", "")),
                str((props.get("Architectures") or ["x86_64"])[0]),
                layers,
            )
    for logical_id, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::LayerVersion" and isinstance(
            props.get("ContentUri"), str
        ):
            users = [p for p in out.values() if logical_id in p.layers]
            runtime = users[0].runtime if users else str((props.get("CompatibleRuntimes") or [""])[0])
            arch = users[0].architecture if users else "x86_64"
            out[logical_id] = Package(logical_id, "layer", base / props["ContentUri"], runtime, arch)
    return out


def pins(requirements: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    if requirements.is_file():
        for raw in requirements.read_text(encoding="utf-8").splitlines():
            match = _PIN.match(raw.split(" #", 1)[0].strip())
            if match:
                found[canonical(match.group(1))] = match.group(2)
    return found


def site_dirs(built: Path, kind: str) -> list[Path]:
    """Where the package's importable code lies (a layer's: python/, as Lambda puts /opt/python)."""
    return [built / "python"] if kind == "layer" else [built]


def distributions(built: Path, kind: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for site in site_dirs(built, kind):
        for info in site.glob("*.dist-info"):
            meta = metadata.PathDistribution(info)
            found[canonical(meta.metadata["Name"])] = meta.version
    return found


def files(built: Path) -> dict[str, str]:
    """relative path -> sha256 of every file of a built package."""
    return {
        path.relative_to(built).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(built.rglob("*"))
        if path.is_file()
    }


def size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def check(build_dir: Path, template: dict[str, Any], base: Path) -> tuple[list[str], list[str]]:
    """(report lines, problems)."""
    report: list[str] = []
    problems: list[str] = []
    found = packages(template, base)
    for logical_id, pkg in found.items():
        built = build_dir / logical_id
        if not built.is_dir():
            problems.append(f"{logical_id}: not built ({built} missing)")
            continue
        for site in site_dirs(built, pkg.kind):
            for name in SDK:
                if (site / name).exists() or (site / f"{name}.py").exists():
                    problems.append(f"{logical_id}: ships {name} (Lambda's runtime provides the SDK)")
        pinned = pins(pkg.source / "requirements.txt")
        dists = distributions(built, pkg.kind)
        for name, version in sorted(dists.items()):
            if name in SDK:
                problems.append(f"{logical_id}: ships {name} {version} (Lambda's runtime provides the SDK)")
            elif name not in pinned:
                problems.append(
                    f"{logical_id}: ships {name} {version}, which its requirements.txt does not pin"
                )
            elif pinned[name] != version:
                problems.append(f"{logical_id}: ships {name} {version}, requirements.txt pins {pinned[name]}")
            else:
                try:
                    tested = metadata.version(name)
                except metadata.PackageNotFoundError:
                    tested = None
                if tested is not None and tested != version:
                    problems.append(f"{logical_id}: ships {name} {version}, the tests ran {tested}")
        for name in sorted(set(pinned) - set(dists)):
            problems.append(f"{logical_id}: requirements.txt pins {name} {pinned[name]}, not in the package")
        want = pkg.runtime.removeprefix("python").replace(".", "")
        arch = {"arm64": "aarch64"}.get(pkg.architecture, pkg.architecture)
        for ext in built.rglob("*.so"):
            match = _ABI.search(ext.name)
            if match and (match.group(1) != want or match.group(2) != arch):
                rel = ext.relative_to(build_dir)
                problems.append(f"{logical_id}: {rel} is not built for {pkg.runtime} {pkg.architecture}")
        own = size(built)
        if pkg.kind == "function":
            total = own + sum(size(build_dir / layer) for layer in pkg.layers if (build_dir / layer).is_dir())
            report.append(
                f"{logical_id:<28} function {own / 1e6:7.2f} MB, with layers {total / 1e6:7.2f} MB unzipped"
            )
        else:
            listed = ", ".join(f"{n} {v}" for n, v in sorted(dists.items())) or "no packages"
            report.append(f"{logical_id:<28} layer    {own / 1e6:7.2f} MB unzipped: {listed}")
    return report, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orderflow.sam_artifacts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("build_dir", nargs="?", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    args = parser.parse_args(argv)
    from orderflow.runtime.deploy import load_template
    from orderflow.runtime.model import RuntimeStartError

    try:
        template = load_template(args.template.resolve())
    except RuntimeStartError as exc:
        print(f"sam_artifacts: {exc}", file=sys.stderr)
        return 2
    if not args.build_dir.is_dir():
        print(f"sam_artifacts: {args.build_dir} does not exist (run sam build first)", file=sys.stderr)
        return 2
    report, problems = check(args.build_dir, template, args.template.resolve().parent)
    for line in report:
        print(line)
    for line in problems:
        print(f"PROBLEM {line}", file=sys.stderr)
    print(f"sam_artifacts: {len(report)} package(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
