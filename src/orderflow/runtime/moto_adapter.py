"""The known gaps of moto 5.2.5 for running a SAM application locally, each closed by one small patch.

Everything here is a monkey-patch on moto's own models, installed by :func:`install` and removed by
:func:`uninstall`; behaviour stays moto's wherever moto has it. Each gap has a test in
tests/runtime/test_runtime_moto_adapter.py (named after its letter) and each is worth reporting
upstream:

(a) ``sfn_cfn_backend`` - CloudFormation creates ``AWS::StepFunctions::StateMachine`` in the
    non-executing backend, reads only ``DefinitionString`` and ignores ``DefinitionS3Location``,
    ``Definition`` and ``DefinitionSubstitutions``. Here CFN state machines live in the backend that
    the API uses (the executing parser backend when ``execute_state_machine`` is on), with the
    definition loaded from S3 / inlined and the substitutions applied. Worth reporting upstream.
(b) ``sfn_unnamed_execution`` - StartExecution without ``name`` names the execution "None" in the
    parser backend, so the second unnamed start collides. Here it gets a uuid like AWS. Also, the
    interpreter appends every thread it starts to a global list (``TMP_THREADS``) that nothing
    empties, keeping each finished execution's frames alive: finished threads are dropped at each
    StartExecution. Worth reporting upstream.
(c) ``stream_esm`` - DynamoDB stream event source mappings invoke the function synchronously inside
    the PutItem request, ignore FilterCriteria, the partial batch response, retries and the OnFailure
    destination. Here each new stream record is handed to a per-mapping dispatcher
    (:mod:`orderflow.runtime.streams`) that does those. Worth reporting upstream.
(d) ``lambda_invoke`` - invoking a function needs Docker. Here ``LambdaFunction.invoke`` - the one
    place reached by the Invoke API, by Step Functions tasks (``arn:aws:states:::lambda:invoke`` and
    plain function ARNs, both go through the Invoke API) and by SQS event source mappings - calls
    the runtime's worker pool. ``lambda.use_docker`` stays True on purpose: with False, moto swaps
    in ``LambdaSimpleBackend`` whose Invoke returns canned answers and never reaches the function.
    Worth reporting upstream (a pluggable invoker).
(e) ``lambda_cfn_layers`` - CFN-created functions drop ``Layers`` (and ``Ref`` to a
    ``AWS::Lambda::LayerVersion`` yields the model object instead of the version ARN). Worth
    reporting upstream.
(f) ``rest_api_cfn`` - ``AWS::ApiGateway::RestApi`` requires ``Name`` (CFN takes it from the Body's
    ``info.title``) and ignores ``Body``, so the Deployment SAM emits fails with "The REST API doesn't
    contain any methods". Here the Body's paths/methods/integrations are imported with moto's own
    importer (which only accepts OpenAPI 3 but reads the same subset of Swagger 2). Worth reporting
    upstream.
(g) ``missing_cfn_types`` - no CFN support for ``AWS::ApiGateway::Stage``, ``AWS::CloudWatch::Alarm``
    and ``AWS::SES::EmailIdentity`` (moto skips them, they vanish from DescribeStackResources and SES
    then refuses to send from the template's own identity). Here: a Stage is created in moto's API
    Gateway, an Alarm through moto's PutMetricAlarm, an EmailIdentity becomes a verified SES
    identity (so SES sends only from identities the template declares, as in a real account); any
    other type moto lacks is kept as a placeholder (logged, listed by :func:`placeholder_resources`)
    so every resource has a physical id; models without a physical id (``AWS::Lambda::Permission``,
    ``AWS::ApiGateway::Deployment``) get one. Worth reporting upstream.
(h) ``stack_failure`` - an exception while creating a resource escapes as an HTTP 500 and leaves the
    stack in CREATE_IN_PROGRESS. Here the stack goes to CREATE_FAILED with a stack event whose reason
    names the resource, like CloudFormation. Worth reporting upstream.
(l) ``dynamodb_transactions`` - TransactWriteItems deep-copies every table it touches as its rollback
    backup (O(table size) per transaction: it grows with every order written), and the stream
    records of a cancelled transaction's partial writes still reach Lambda (e.g. a welcome mail for
    a user whose email claim failed). Here a journal of the touched items replaces the table copies,
    and stream records are released to the mappings only when the transaction commits. Worth
    reporting upstream.

Speed-ups of the ASL interpreter, which are not gaps (moto is correct without them, only slower), live
in :mod:`.interpreter_speedups` and are installed and removed with these patches: (i) Lambda tasks
invoked in-process and one client per service, (j) parsed definitions cached, (k) compiled JSONPath
expressions cached.

Two helpers are not gaps but live here because they reach into moto's models:
:func:`localize_api_urls` rewrites stack Output values that point at
``https://<restApiId>.execute-api.<region>.<suffix>/<rest>`` to ``http://127.0.0.1:<api_port>/<rest>``
in the stack as stored in moto (so DescribeStacks shows the local URL), and SES messages are stamped
with the time they were accepted (for the outbox).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import interpreter_speedups

log = logging.getLogger("orderflow.runtime")


class Hooks(Protocol):
    """What the patches call back into (the Runtime implements it)."""

    def invoke_function(
        self, function_name: str, event: Any, invocation_type: str
    ) -> tuple[bytes, str | None]: ...

    def stream_record(self, esm: Any, record: dict[str, Any]) -> None: ...


_hooks: Hooks | None = None
_originals: list[tuple[Any, str, Any]] = []
_lock = threading.Lock()
_placeholders: list[tuple[str, str, str]] = []  # (logical id, type, physical id)


def _patch(owner: Any, name: str, new: Any) -> None:
    _originals.append((owner, name, owner.__dict__.get(name, _MISSING)))
    setattr(owner, name, new)


class _Missing:
    pass


_MISSING = _Missing()


def installed() -> bool:
    return _hooks is not None


def install(hooks: Hooks) -> None:
    """Apply every patch; ``hooks`` receives function invocations and stream records."""
    global _hooks
    with _lock:
        if _hooks is not None:
            raise RuntimeError("moto adapter already installed (one local runtime per process)")
        _hooks = hooks
        _placeholders.clear()
        _install_sfn()
        interpreter_speedups.install(_patch)
        _install_lambda()
        _install_dynamodb()
        _install_cfn()
        _install_ses()


def uninstall() -> None:
    global _hooks
    with _lock:
        while _originals:
            owner, name, original = _originals.pop()
            if original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        _hooks = None
        interpreter_speedups.clear()


def _require_hooks() -> Hooks:
    if _hooks is None:
        raise RuntimeError("orderflow runtime is not running")
    return _hooks


# ---------------------------------------------------------------------------------------------- (a) (b)


def _sfn_backend(account_id: str, region_name: str) -> Any:
    from moto.stepfunctions.responses import get_backend

    return get_backend(account_id, region_name)


def state_machine_definition(properties: dict[str, Any], account_id: str, partition: str) -> str:
    """The definition of a CFN state machine, from any of the three CFN forms, substitutions applied."""
    if "DefinitionString" in properties:
        definition = properties["DefinitionString"]
    elif "Definition" in properties:
        definition = json.dumps(properties["Definition"])
    elif "DefinitionS3Location" in properties:
        from moto.s3.models import s3_backends

        location = properties["DefinitionS3Location"]
        key = s3_backends[account_id][partition].get_object(location["Bucket"], location["Key"])
        if key is None:
            raise ValueError(f"DefinitionS3Location s3://{location['Bucket']}/{location['Key']} not found")
        definition = key.value.decode("utf-8")
    else:
        definition = ""
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    return definition


def _sfn_create_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    from moto.utilities.utils import get_partition

    properties = cloudformation_json["Properties"]
    backend = _sfn_backend(account_id, region_name)
    tags = [{"key": t["Key"], "value": t["Value"]} for t in properties.get("Tags", [])]
    return backend.create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=state_machine_definition(properties, account_id, get_partition(region_name)),
        roleArn=properties.get("RoleArn", ""),
        tags=tags,
        loggingConfiguration=_lower_keys(properties.get("LoggingConfiguration")),
        tracingConfiguration=_lower_keys(properties.get("TracingConfiguration")),
        sm_type=properties.get("StateMachineType", "STANDARD"),
    )


def _lower_keys(value: Any) -> Any:
    """CFN spells StepFunctions API structures in PascalCase; the API model uses camelCase."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _sfn_delete_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    _sfn_backend(account_id, region_name).delete_state_machine(resource_name)


def _sfn_update_from_cfn(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    from moto.utilities.utils import get_partition

    properties = cloudformation_json.get("Properties", {})
    backend = _sfn_backend(account_id, region_name)
    name = properties.get("StateMachineName", original_resource.name)
    if name != original_resource.name:
        new = _sfn_create_from_cfn(cls, name, cloudformation_json, account_id, region_name)
        backend.delete_state_machine(original_resource.arn)
        return new
    return backend.update_state_machine(
        original_resource.arn,
        definition=state_machine_definition(properties, account_id, get_partition(region_name)),
        role_arn=properties.get("RoleArn"),
    )


def _install_sfn() -> None:
    from moto.stepfunctions.models import StateMachine
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.parser.utils import TMP_THREADS

    _patch(StateMachine, "create_from_cloudformation_json", classmethod(_sfn_create_from_cfn))
    _patch(StateMachine, "delete_from_cloudformation_json", classmethod(_sfn_delete_from_cfn))
    _patch(StateMachine, "update_from_cloudformation_json", classmethod(_sfn_update_from_cfn))

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, **kwargs: Any
    ) -> Any:
        TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
        return original_start(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, **kwargs)

    _patch(StepFunctionsParserBackend, "start_execution", start_execution)


# ------------------------------------------------------------------------------------ (c) (d) (e)


def _install_lambda() -> None:
    from moto.awslambda.models import LambdaBackend, LambdaFunction, LayerVersion

    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        event = json.loads(body) if body else {}
        invocation_type = (request_headers or {}).get("X-Amz-Invocation-Type") or (request_headers or {}).get(
            "x-amz-invocation-type", "RequestResponse"
        )
        payload, function_error = _require_hooks().invoke_function(self.function_name, event, invocation_type)
        if function_error:
            response_headers["x-amz-function-error"] = function_error
        return payload

    _patch(LambdaFunction, "invoke", invoke)

    original_create = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cfn(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        fn = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        layers = cloudformation_json["Properties"].get("Layers") or []
        if layers:
            fn.layers = fn._get_layers_data([getattr(layer, "arn", layer) for layer in layers])
        return fn

    _patch(LambdaFunction, "create_from_cloudformation_json", classmethod(create_from_cfn))
    _patch(LayerVersion, "physical_resource_id", property(lambda self: self.arn))

    def send_dynamodb_items(self: Any, function_arn: str, items: list[Any], source: str) -> None:
        # moto calls this once per mapping right after appending the new record to the shard; the
        # shard keeps its records (for GetRecords) because we return None.
        for esm in list(self._event_source_mappings.values()):
            if esm.function_arn == function_arn and esm.event_source_arn == source and esm.enabled:
                record = stream_record_to_event_record(items[-1], source)
                pending = getattr(_transaction, "stream_records", None)
                if pending is not None:  # inside TransactWriteItems: released on commit only
                    pending.append((esm, record))
                else:
                    _require_hooks().stream_record(esm, record)
        return None

    _patch(LambdaBackend, "send_dynamodb_items", send_dynamodb_items)


def stream_record_to_event_record(item: Any, source: str) -> dict[str, Any]:
    """A moto StreamRecord as a Lambda event record (the same shape moto builds)."""
    from moto.core.utils import unix_time

    record = item.to_json()
    dynamodb = dict(record["dynamodb"])
    if isinstance(dynamodb.get("ApproximateCreationDateTime"), dt.datetime):
        dynamodb["ApproximateCreationDateTime"] = unix_time(dynamodb["ApproximateCreationDateTime"])
    region = source.split(":")[3]
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": source,
    }


# ------------------------------------------------------------------------------------------------ (l)

_transaction = threading.local()


class _CopyWithoutTables:
    """``copy`` as moto.dynamodb.models sees it while a journaled transaction runs in this thread:
    deep-copying a whole Table (moto's rollback backup) is skipped - the journal restores instead."""

    def __getattr__(self, name: str) -> Any:
        import copy

        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        import copy

        from moto.dynamodb.models.table import Table

        if isinstance(value, Table) and getattr(_transaction, "journal", None) is not None:
            return value
        return copy.deepcopy(value, memo)


def _transaction_keys(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """(table, hash key, range key) of every item a transaction may write."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None or op_type == "ConditionCheck":
            continue
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        if not isinstance(key, dict) or table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
        if table.range_key_attr is not None and range_key is None:
            continue  # invalid: moto rejects it before writing anything
        keys.append((table, hash_key, range_key))
    return keys


def _install_dynamodb() -> None:
    import copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    _patch(dynamodb_models, "copy", _CopyWithoutTables())

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        keys = _transaction_keys(self, transact_items)
        journal = [(t, h, r, copy.deepcopy(t.get_item(h, r))) for t, h, r in keys]
        shards = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, _, _ in keys if t.stream_shard}
        _transaction.journal, _transaction.stream_records = journal, []
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(journal):
                if range_key is not None:
                    bucket = table.items[hash_key]
                    bucket.pop(range_key, None) if item is None else bucket.__setitem__(range_key, item)
                else:
                    table.items.pop(hash_key, None) if item is None else table.items.__setitem__(
                        hash_key, item
                    )
            for shard, length in shards.values():
                del shard.items[length:]  # the cancelled writes never reach the stream
            raise
        else:
            for esm, record in _transaction.stream_records:
                _require_hooks().stream_record(esm, record)
        finally:
            _transaction.journal = _transaction.stream_records = None

    _patch(DynamoDBBackend, "transact_write_items", transact_write_items)


# ---------------------------------------------------------------------------------------- (f) (g) (h)


class _CfnModel:
    """Just enough of moto's CloudFormationModel interface for the resource types added here."""

    cf_resource_type: str
    logical_resource_id: str

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        cls.delete_from_cloudformation_json(
            original_resource.physical_resource_id, cloudformation_json, account_id, region_name
        )
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        return None


@dataclass
class ApiGatewayStage(_CfnModel):
    rest_api_id: str
    stage_name: str

    @property
    def physical_resource_id(self) -> str:
        return self.stage_name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> ApiGatewayStage:
        from moto.apigateway.models import apigateway_backends

        props = cloudformation_json["Properties"]
        rest_api_id = props["RestApiId"]
        stage_name = props.get("StageName", resource_name)
        deployment_id = getattr(props.get("DeploymentId"), "id", props.get("DeploymentId"))
        backend = apigateway_backends[account_id][region_name]
        api = backend.get_rest_api(rest_api_id)
        if stage_name not in api.stages:
            backend.create_stage(
                rest_api_id,
                stage_name,
                deployment_id,
                variables=props.get("Variables"),
                description=props.get("Description", ""),
                tracing_enabled=props.get("TracingEnabled"),
            )
        return cls(rest_api_id, stage_name)


@dataclass
class SesEmailIdentity(_CfnModel):
    identity: str

    @property
    def physical_resource_id(self) -> str:
        return self.identity

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> SesEmailIdentity:
        from moto.ses.models import ses_backends

        identity = cloudformation_json["Properties"]["EmailIdentity"]
        backend = ses_backends[account_id][region_name]
        if "@" in identity:
            backend.verify_email_identity(identity)
        else:
            backend.verify_domain(identity)
        return cls(identity)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        from moto.ses.models import ses_backends

        ses_backends[account_id][region_name].delete_identity(resource_name)


@dataclass
class CloudWatchAlarm(_CfnModel):
    """The CFN properties of an alarm are PutMetricAlarm's parameters: sent through moto's own API
    (its request parsing builds the metric queries) on the embedded server."""

    alarm_name: str

    @property
    def physical_resource_id(self) -> str:
        return self.alarm_name

    @staticmethod
    def _client(region_name: str) -> Any:
        import boto3
        from moto.settings import moto_server_port

        return boto3.client(
            "cloudwatch",
            endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
            region_name=region_name,
            aws_access_key_id="adapter",
            aws_secret_access_key="adapter",  # noqa: S106 - the embedded AWS takes any key
        )

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> CloudWatchAlarm:
        props = dict(cloudformation_json["Properties"])
        props.setdefault("AlarmName", resource_name)
        cls._client(region_name).put_metric_alarm(**props)
        return cls(props["AlarmName"])

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        cls._client(region_name).delete_alarms(AlarmNames=[resource_name])


@dataclass
class Placeholder(_CfnModel):
    """A resource of a type moto's CloudFormation does not know: listed, not emulated."""

    physical_resource_id: str

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ) -> Placeholder:
        _placeholders.append((kwargs.get("LogicalId", ""), kwargs.get("ResourceType", ""), resource_name))
        log.warning(
            "%s (%s) is not emulated locally: moto has no CloudFormation support for it",
            kwargs.get("LogicalId"),
            kwargs.get("ResourceType"),
        )
        return cls(resource_name)


ADDED_TYPES: dict[str, Any] = {
    "AWS::ApiGateway::Stage": ApiGatewayStage,
    "AWS::CloudWatch::Alarm": CloudWatchAlarm,
    "AWS::SES::EmailIdentity": SesEmailIdentity,
}


def placeholder_resources() -> list[tuple[str, str, str]]:
    """(logical id, type, physical id) of every resource kept as a placeholder (type unknown to moto)."""
    return list(_placeholders)


class ResourceCreateFailed(Exception):
    def __init__(self, logical_id: str, resource_type: str, cause: BaseException):
        super().__init__(f"resource {logical_id} ({resource_type}) failed: {_one_line(cause)}")
        self.logical_id = logical_id
        self.resource_type = resource_type


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"missing property {exc}"
    return " ".join(str(text).split())


def _install_cfn() -> None:
    from moto.apigateway.models import RestAPI, apigateway_backends
    from moto.cloudformation import parsing
    from moto.cloudformation.models import Stack

    def rest_api_from_cfn(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        props = cloudformation_json["Properties"]
        body = props.get("Body") or {}
        info = body.get("info") or {}
        backend = apigateway_backends[account_id][region_name]
        api = backend.create_rest_api(
            name=props.get("Name") or info.get("title") or resource_name,
            description=props.get("Description") or info.get("description") or "",
            endpoint_configuration=props.get("EndpointConfiguration"),
        )
        if body.get("paths"):
            openapi_subset = {k: v for k, v in body.items() if k != "swagger"}
            openapi_subset["openapi"] = "3.0.1"
            backend.put_rest_api(api.id, openapi_subset, fail_on_warnings=False)
        return api

    _patch(RestAPI, "create_from_cloudformation_json", classmethod(rest_api_from_cfn))

    original_class_from_type = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in ADDED_TYPES:
            return ADDED_TYPES[resource_type]
        known = resource_type in parsing.NULL_MODELS or resource_type in parsing.get_model_map()
        if known or resource_type.startswith("Custom::"):
            return original_class_from_type(resource_type)
        return Placeholder

    _patch(parsing, "resource_class_from_type", resource_class_from_type)

    original_parse_and_create = parsing.parse_and_create_resource

    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
    ) -> Any:
        try:
            resource = original_parse_and_create(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        except ResourceCreateFailed:
            raise
        except Exception as exc:
            raise ResourceCreateFailed(logical_id, resource_json.get("Type", "?"), exc) from exc
        if resource is not None and not hasattr(resource, "physical_resource_id"):
            # e.g. Lambda::Permission, ApiGateway::Deployment: moto gives them no physical id
            resource.physical_resource_id = getattr(resource, "id", None) or parsing.generate_resource_name(
                resource_json.get("Type", ""), resources_map["AWS::StackName"], logical_id
            )
        return resource

    _patch(parsing, "parse_and_create_resource", parse_and_create_resource)

    original_create_resources = Stack.create_resources

    def create_resources(self: Any) -> None:
        try:
            original_create_resources(self)
        except ResourceCreateFailed as exc:
            log.debug("stack %s failed", self.name, exc_info=True)
            self.status = "CREATE_FAILED"
            self._add_stack_event("CREATE_FAILED", resource_status_reason=str(exc))

    _patch(Stack, "create_resources", create_resources)


def localize_api_urls(account_id: str, region_name: str, stack_name: str, api_port: int) -> None:
    """Rewrite this stack's Outputs (as stored in moto) that point at one of its REST APIs'
    execute-api URLs to the local API server."""
    import re

    from moto.apigateway.models import apigateway_backends
    from moto.cloudformation.models import cloudformation_backends

    api_ids = set(apigateway_backends[account_id][region_name].apis)
    pattern = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.[a-z0-9.]+?/")

    def local(match: re.Match[str]) -> str:
        return f"http://127.0.0.1:{api_port}/" if match.group(1) in api_ids else match.group(0)

    for stack in cloudformation_backends[account_id][region_name].stacks.values():
        if stack.name != stack_name:
            continue
        for key in list(stack.output_map):
            output = stack.output_map[key]
            if output is not None and isinstance(output.value, str):
                output.value = pattern.sub(local, output.value)


# -------------------------------------------------------------------------------------------- SES


def _install_ses() -> None:
    from moto.ses.models import SESBackend

    def stamped(original: Callable[..., Any]) -> Callable[..., Any]:
        def send(self: Any, *args: Any, **kwargs: Any) -> Any:
            message = original(self, *args, **kwargs)
            message.orderflow_sent_at = dt.datetime.now(dt.UTC)
            return message

        return send

    _patch(SESBackend, "send_email", stamped(SESBackend.send_email))
    _patch(SESBackend, "send_raw_email", stamped(SESBackend.send_raw_email))
