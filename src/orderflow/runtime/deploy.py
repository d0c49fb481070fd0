"""SAM template -> CloudFormation template ready for the embedded AWS, as ``sam package`` + the SAM
transform would make it, and the API routes read from the result.

- :func:`load_template` parses YAML with the short-form tags (``!Ref``...) as cfn-lint's decoder does
  (cfn_yaml.py, without importing cfn-lint).
- :func:`package` zips every local ``CodeUri`` (AWS::Serverless::Function, also from Globals),
  ``ContentUri`` (AWS::Serverless::LayerVersion; under ``python/`` when its Metadata.BuildMethod is a
  python runtime, as ``sam build`` lays it out) and uploads ``DefinitionUri``
  (AWS::Serverless::StateMachine) to a bucket in the embedded S3, rewriting them to S3 locations.
  SAM turns DefinitionUri into ``DefinitionS3Location`` + ``DefinitionSubstitutions``, which the
  moto adapter resolves.
- :func:`transform` runs aws-sam-translator offline: pseudo parameters come from our region and the
  managed-policy names resolve through :class:`OfflineManagedPolicyLoader` (no IAM calls).

The API routes are read from the deployed REST APIs (see :mod:`.api_routes`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.metrics.method_decorator import MetricsMethodWrapperSingleton
from samtranslator.metrics.metrics import Metrics
from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
from samtranslator.parser.parser import Parser
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.translator import Translator
from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template

from . import build, cfn_yaml, sam_build
from .build import BuildError
from .model import RuntimeStartError
from .runtimes import Launcher, resolve

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", ".venv", "node_modules"}


def load_template(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise RuntimeStartError(f"template {path} not found")
    try:
        template = cfn_yaml.load(path)
    except (cfn_yaml.TemplateError, OSError, UnicodeDecodeError) as exc:
        raise RuntimeStartError(f"template {path} does not parse: {exc}") from None
    if template is None:
        raise RuntimeStartError(f"template {path} does not parse: empty template")
    result = json.loads(json.dumps(template, default=str))
    if not isinstance(result, dict) or not isinstance(result.get("Resources"), dict):
        raise RuntimeStartError(f"template {path} has no Resources")
    return result


def zip_dir(directory: Path, prefix: str = "", keep: frozenset[str] = frozenset()) -> bytes:
    """A deterministic zip of ``directory`` (caches and VCS folders skipped; ``keep``: those of
    SKIP_DIRS that are the function's code here, such as a Node function's node_modules)."""
    skip = SKIP_DIRS - keep
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(directory.rglob("*")):
            rel = path.relative_to(directory)
            if any(part in skip for part in rel.parts) or path.suffix == ".pyc" or not path.is_file():
                continue
            info = zipfile.ZipInfo(prefix + rel.as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (path.stat().st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def _build_runtime(kind: str, resource: dict[str, Any], template: dict[str, Any]) -> str:
    """The Runtime a function or layer is built for: a function's own (or Globals'); a layer's
    ``BuildMethod: python3.X``, else its first Python CompatibleRuntimes, else Globals'."""
    props = resource.get("Properties") or {}
    fallback = str(((template.get("Globals") or {}).get("Function") or {}).get("Runtime") or "")
    if kind == "function":
        return str(props.get("Runtime") or fallback)
    method = str((resource.get("Metadata") or {}).get("BuildMethod") or "")
    if method.startswith("python"):
        return method
    compatible = [str(r) for r in props.get("CompatibleRuntimes") or [] if str(r).startswith("python")]
    return compatible[0] if compatible else fallback


def package(
    template: dict[str, Any],
    base_dir: Path,
    s3: Any,
    bucket: str,
    build_cache: Path | None = None,
    launcher: Callable[[str], Launcher] = resolve,
) -> dict[str, Any]:
    """Upload local artifacts to ``bucket`` and return the template pointing at them. With a
    ``build_cache``, functions and layers are first built as ``sam build`` builds them (sam_build.py)
    and the built package is uploaded, as ``sam build && sam package`` would; ``launcher`` says which
    interpreter a Runtime runs on (its packages are built for it)."""
    template = json.loads(json.dumps(template))
    uploaded: dict[tuple[str, str], dict[str, str]] = {}
    architecture = str(
        ((template.get("Globals") or {}).get("Function") or {}).get("Architectures", ["x86_64"])[0]
    )

    def upload(
        logical_id: str,
        prop: str,
        uri: str,
        *,
        layer_python: bool = False,
        built: tuple[str, Any] | None = None,
    ) -> dict[str, str]:
        path = (base_dir / uri).resolve()
        if not path.exists():
            raise RuntimeStartError(f"{logical_id}: {prop} {uri} does not exist ({path})")
        if built is not None and build_cache is not None and path.is_dir():
            kind, resource = built
            props = resource.get("Properties") or {}
            arch = props.get("Architectures") or props.get("CompatibleArchitectures") or [architecture]
            try:
                artifact = sam_build.build_package(
                    build_cache,
                    kind=kind,
                    logical_id=logical_id,
                    source=path,
                    build_method=(resource.get("Metadata") or {}).get("BuildMethod"),
                    architecture=str(arch[0]),
                    launcher=launcher(_build_runtime(kind, resource, template)),
                )
            except (OSError, BuildError) as exc:
                raise RuntimeStartError(str(exc)) from exc
            if artifact is not None:
                path, layer_python = artifact, False
        key_src = (str(path), "python/" if layer_python else "")
        if key_src in uploaded:
            return uploaded[key_src]
        node = built is not None and _build_runtime(built[0], built[1], template).startswith("nodejs")
        keep = frozenset({"node_modules"}) if node else frozenset()
        if path.is_dir() and build_cache is not None and path.parent == build_cache / "built":
            # a build: zipped once
            body = build.cached_zip(build_cache, path, key_src[1], lambda p, pre: zip_dir(p, pre, keep))
        elif path.is_dir():
            body = zip_dir(path, key_src[1], keep)
        else:
            body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:20]
        suffix = ".zip" if path.is_dir() else path.suffix
        key = f"{logical_id}/{digest}{suffix}"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        uploaded[key_src] = {"Bucket": bucket, "Key": key}
        return uploaded[key_src]

    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    globals_uri = globals_fn.get("CodeUri")  # each function gets its own build of it, as with sam build
    if _is_local(globals_uri):
        globals_fn["CodeUri"] = upload("Globals", "CodeUri", str(globals_uri))

    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict):
            continue
        props = resource.get("Properties") or {}
        rtype = resource.get("Type")
        if rtype == "AWS::Serverless::Function":
            if props.get("PackageType") == "Image" or "InlineCode" in props:
                continue
            uri = props.get("CodeUri", globals_uri)
            if uri is None:
                raise RuntimeStartError(
                    f"{logical_id}: no CodeUri (nor InlineCode, nor Globals.Function.CodeUri)"
                )
            if _is_local(uri):
                props["CodeUri"] = upload(logical_id, "CodeUri", uri, built=("function", resource))
        elif rtype == "AWS::Serverless::LayerVersion" and _is_local(props.get("ContentUri")):
            build_method = str((resource.get("Metadata") or {}).get("BuildMethod", ""))
            props["ContentUri"] = upload(
                logical_id,
                "ContentUri",
                props["ContentUri"],
                layer_python=build_method.startswith("python"),
                built=("layer", resource),
            )
        elif rtype == "AWS::Serverless::StateMachine" and _is_local(props.get("DefinitionUri")):
            props["DefinitionUri"] = upload(logical_id, "DefinitionUri", props["DefinitionUri"])
    return template


class OfflineManagedPolicyLoader:
    """Managed policy name -> ARN without calling IAM: samtranslator's bundled map plus the few SAM
    uses itself, built for the partition."""

    COMMON = (
        "service-role/AWSLambdaBasicExecutionRole",
        "service-role/AWSLambdaDynamoDBExecutionRole",
        "service-role/AWSLambdaKinesisExecutionRole",
        "service-role/AWSLambdaSQSQueueExecutionRole",
        "service-role/AWSLambdaVPCAccessExecutionRole",
        "service-role/AWSLambdaRole",
        "AWSXrayWriteOnlyAccess",
        "AWSXRayDaemonWriteAccess",
        "AWSLambdaExecute",
        "CloudWatchLambdaInsightsExecutionRolePolicy",
    )

    def __init__(self, partition: str = "aws"):
        self.partition = partition

    def load(self) -> dict[str, str]:
        policies = {
            name.rsplit("/", 1)[-1]: f"arn:{self.partition}:iam::aws:policy/{name}" for name in self.COMMON
        }
        policies.update(get_bundled_managed_policy_map(self.partition) or {})
        return policies


def sam_transform(
    template: dict[str, Any],
    parameter_values: dict[str, Any],
    region: str,
    get_managed_policy_map: Callable[[], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The CloudFormation template aws-sam-translator makes of ``template``, offline: pseudo parameters
    from ``parameter_values`` (region and partition filled in), managed policy names from
    ``get_managed_policy_map`` (default :class:`OfflineManagedPolicyLoader`). Raises samtranslator's
    own exceptions; a template without the SAM transform is returned as it is."""
    if "Transform" not in template:
        return template
    template = json.loads(json.dumps(template))
    values: dict[str, Any] = dict(parameter_values)
    partition = ArnGenerator.get_partition_name(region)
    values.setdefault("AWS::Region", region)
    values.setdefault("AWS::Partition", partition)
    session = boto3.session.Session(
        region_name=region,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",  # noqa: S106
    )
    load_policies = get_managed_policy_map or OfflineManagedPolicyLoader(partition).load
    metrics = Metrics()
    try:
        to_py27_compatible_template(template, values)
        translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
        result = translator.translate(template, parameter_values=values, get_managed_policy_map=load_policies)
    finally:
        # to samtranslator's no-op publisher: metrics left unpublished print a warning at exit
        metrics.publish()
        MetricsMethodWrapperSingleton.get_instance().publish()
    return undo_mark_unicode_str_in_template(result)


def transform(template: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    """The SAM transform, offline. Raises RuntimeStartError with the translator's first message."""
    try:
        return sam_transform(template, parameters, region)
    except InvalidDocumentException as exc:
        causes = "; ".join(" ".join(str(c.message).split()) for c in exc.causes) or str(exc)
        raise RuntimeStartError(f"the template does not transform: {causes}") from exc
    except InvalidResourceException as exc:
        raise RuntimeStartError(f"the template does not transform: {' '.join(str(exc).split())}") from exc
