"""Everything of orderflow that reaches into moto: one package, one registry of named patches.

No other module of ``orderflow`` imports moto. What the runtime needs of moto's process-global state
is here (:mod:`.backends`, :mod:`.awslambda`, :mod:`.ses`, :mod:`.sfn`, :mod:`.cloudformation`,
:mod:`.cloudwatch`, :mod:`.cfn_update`, :mod:`.cfn_attributes`, :mod:`.events`,
:mod:`.notifications`), and
every change to moto's behaviour is a :class:`~.registry.Patch` in :data:`REGISTRY`, applied in this
declared order (wrappers of one method always nest the same way) and undone in reverse. The
patches, what each closes and its module are listed in ``docs/moto-patches.md`` (a test keeps that
table equal to :data:`REGISTRY`, in declared order; the order itself is the list below).

Each record says what moto does wrong (``REGISTRY[name].summary``), the moto versions it was written
for, and the upstream issue where one exists. ``tests/moto_patches/`` has, per gap, a test that shows
the gap in plain moto (a strict xfail: it starts passing, and so fails the suite, the day upstream
fixes it, so the patch can go) and a test of the patched behaviour.

:func:`start` applies the runtime's patches (every one but the two Step Functions Local ones, which
:mod:`orderflow.runtime.sfn_local` switches) after checking the installed moto against each patch's range;
:func:`stop` undoes them. Patches can be left off one by one (``start(hooks, disabled=...)``).
"""

from __future__ import annotations

# before anything of moto is imported: importing moto.ec2 asks botocore for region lists (see the module)
from . import regions_cache

regions_cache.install()

from . import (  # noqa: E402
    apigateway,
    asl,
    awslambda,
    backend_lookup,
    cfn_attributes,
    cfn_update,
    cloudformation,
    cloudwatch,
    distributed_map,
    dynamodb,
    events,
    hooks,
    iam,
    integrations,
    interpreter,
    jsonata,
    map_results,
    messaging,
    notifications,
    ses,
    sfn,
    sfn_api,
    sfn_express,
    sfn_lambda,
    sfn_local_hooks,
    sfn_stop,
    sfn_watch,
    sqs_send,
    state,
)
from .hooks import Hooks  # noqa: E402
from .registry import REGISTRY, MotoVersionError, Patch, Patcher  # noqa: E402

__all__ = [
    "REGISTRY",
    "RUNTIME_PATCHES",
    "SHARED_ATTRIBUTES",
    "Hooks",
    "MotoVersionError",
    "Patch",
    "Patcher",
    "apigateway",
    "asl",
    "awslambda",
    "backend_lookup",
    "cfn_attributes",
    "cfn_update",
    "check_versions",
    "cloudformation",
    "cloudwatch",
    "distributed_map",
    "dynamodb",
    "events",
    "iam",
    "integrations",
    "interpreter",
    "jsonata",
    "map_results",
    "messaging",
    "notifications",
    "ses",
    "sfn",
    "sfn_api",
    "sfn_express",
    "sfn_lambda",
    "sfn_local_hooks",
    "sfn_stop",
    "sfn_watch",
    "sqs_send",
    "start",
    "started",
    "state",
    "stop",
]

REGISTRY.declare_order(
    [
        sfn.SFN_CFN_BACKEND.name,
        sfn.SFN_UNNAMED_EXECUTION.name,
        sfn.SFN_FINISHED_THREADS.name,
        sfn.SFN_EXECUTION_NAMES.name,
        sfn_express.SFN_EXPRESS_EXECUTIONS.name,
        sfn_express.SFN_SYNC_EXECUTION.name,
        sfn_express.SFN_EXECUTION_LOGS.name,
        sfn_watch.SFN_EXECUTION_EVENTS.name,
        sfn_stop.SFN_STOP_PROMPT.name,
        sfn_local_hooks.SFN_MOCK_CONFIG.name,
        sfn_local_hooks.SFN_TIME_SCALE.name,
        jsonata.SFN_JSONATA.name,
        asl.SFN_NO_CHOICE_MATCHED.name,
        asl.SFN_ASSIGN_LITERALS.name,
        asl.SFN_VARIABLE_LIMITS.name,
        distributed_map.SFN_ITEM_READER_MANIFEST.name,
        distributed_map.SFN_ITEM_BATCHER.name,
        distributed_map.SFN_TOLERATED_FAILURE.name,
        map_results.SFN_RESULT_WRITER.name,
        integrations.SFN_INTEGRATION_SHAPES.name,
        integrations.SFN_HEARTBEAT_TIMEOUT.name,
        integrations.SFN_SYNC_WITHOUT_CALLBACK.name,
        sfn_api.SFN_DESCRIBE_OUTPUT.name,
        sfn_api.SFN_HISTORY_ORDER.name,
        sfn_api.SFN_TASK_FAILURE_CAUSE.name,
        sfn_api.SFN_INVALID_DEFINITION.name,
        interpreter.SFN_INPROCESS_CLIENTS.name,
        interpreter.SFN_PARSE_CACHE.name,
        interpreter.SFN_JSONPATH_CACHE.name,
        interpreter.SFN_JSON_COPY.name,
        sfn_lambda.SFN_LAMBDA_REQUEST_ID.name,
        sfn_lambda.SFN_LAMBDA_INVOCATION_TYPE.name,
        iam.SFN_TASK_ROLE.name,
        iam.IAM_ROLE_SESSIONS.name,
        iam.IAM_CFN_MANAGED_POLICIES.name,
        dynamodb.DYNAMODB_TRANSACTIONS.name,
        dynamodb.DYNAMODB_ISOLATION.name,
        awslambda.LAMBDA_INVOKE.name,
        awslambda.LAMBDA_CFN_LAYERS.name,
        awslambda.STREAM_ESM.name,
        cloudformation.REST_API_CFN.name,
        cloudformation.MISSING_CFN_TYPES.name,
        cfn_attributes.CFN_MORE_TYPES.name,
        cfn_attributes.CFN_ATTRIBUTES.name,
        apigateway.APIGATEWAY_METHOD_CFN.name,
        cloudformation.STACK_FAILURE.name,
        cfn_update.CFN_STACK_UPDATE.name,
        ses.SES_SENT_AT.name,
        messaging.SNS_DELIVERY_OUTCOMES.name,
        cloudwatch.CLOUDWATCH_ALARM_STATE.name,
        cloudwatch.CLOUDWATCH_EXTENDED_STATISTICS.name,
        cloudwatch.CLOUDWATCH_LIST_METRICS_ONCE.name,
        state.KMS_PICKLE.name,
        state.DYNAMODB_PICKLE.name,
        state.SQS_PICKLE.name,
        state.LAMBDA_PICKLE.name,
        state.SFN_PICKLE.name,
        backend_lookup.BACKEND_DICT_LOOKUP.name,
        sqs_send.SQS_SEND_ATTRIBUTES.name,
        events.RULE_TARGETS.name,
        notifications.S3_EVENTBRIDGE.name,
        notifications.S3_LAMBDA.name,
        notifications.S3_CFN_NOTIFICATIONS.name,
        notifications.SNS_LAMBDA.name,
        events.SCHEDULER_CFN_SCHEDULE.name,
    ]
)

# moto attributes more than one patch replaces, and the patches that do, in the declared order (each
# later one wraps the earlier ones and passes on what it does not handle), each named by the last two
# parts of its module's name, its class (if any) and its name. Any other attribute has one owner
# (tests/moto_patches/test_registry.py keeps this equal to what the patches replace): Rule.send_to_targets
# is events_rule_targets' alone, which delivers and reports (AWS/Events metrics) every matched rule.
SHARED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    # sns_lambda_delivery delivers (and reports) lambda subscriptions; any other protocol falls through
    # to sns_delivery_outcomes, which delivers and reports it
    "sns.models.Subscription.publish": ("sns_delivery_outcomes", "sns_lambda_delivery"),
    "stepfunctions.models.StateMachine.update_from_cloudformation_json": (
        "sfn_cfn_backend",
        "cfn_stack_update",
    ),
    "parser.models.StepFunctionsParserBackend.start_execution": (
        "sfn_unnamed_execution",
        "sfn_finished_threads",
        "sfn_execution_names",
        "sfn_mock_config",
    ),
    "parser.models.Execution": (
        "sfn_express_executions",
        "sfn_sync_execution",
        "sfn_execution_logs",
    ),
    "backend.execution.BaseExecutionWorkerCommunication.terminated": (
        "sfn_execution_events",
        "sfn_stop_prompt",
    ),
    "parse.asl_parser.AmazonStateLanguageParser.parse": (
        "sfn_item_reader_manifest",
        "sfn_item_batcher",
        "sfn_tolerated_failure",
        "sfn_result_writer",
        "sfn_parse_cache",
    ),
    "iteration.distributed_iteration_component.DistributedIterationComponent._map_run": (
        "sfn_item_batcher",
        "sfn_tolerated_failure",
    ),
    "state_task.lambda_eval_utils.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "eval.resource_eval_s3.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "resource_eval.resource_eval_s3.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_aws_sdk.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_batch.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_dynamodb.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_ecs.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_events.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_glue.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_sfn.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_sns.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_sqs.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    "service.state_task_service_unsupported.boto_client_for": (
        "sfn_inprocess_clients",
        "sfn_task_role",
    ),
    # lambda_cfn_layers creates layers from templates; cfn_attributes makes their Ref the version's ARN
    "awslambda.models.LayerVersion.physical_resource_id": ("lambda_cfn_layers", "cfn_attributes"),
    "cloudformation.parsing.parse_and_create_resource": ("missing_cfn_types", "stack_failure"),
}

# Switched by Runtime from its config (through orderflow.runtime.sfn_local), not by start().
SFN_LOCAL_PATCHES = (sfn_local_hooks.SFN_MOCK_CONFIG.name, sfn_local_hooks.SFN_TIME_SCALE.name)
RUNTIME_PATCHES = tuple(name for name in REGISTRY.names if name not in SFN_LOCAL_PATCHES)


def check_versions(disabled: tuple[str, ...] = ()) -> None:
    """MotoVersionError when the installed moto is outside the range of a patch start() would apply;
    KeyError for an unknown name in ``disabled``, or one a patch left on requires."""
    for name in disabled:
        REGISTRY[name]
        if name in SFN_LOCAL_PATCHES:
            raise KeyError(
                f"moto patch {name!r} is on only with a mock config or a time scale, never by default"
            )
    wanted = [name for name in RUNTIME_PATCHES if name not in disabled]
    for name in wanted:
        for required in REGISTRY[name].requires:
            if required in disabled:
                raise KeyError(f"moto patch {required!r} can be left off only with {name!r} (it needs it)")
    REGISTRY.check_versions(wanted)


def start(runtime_hooks: Hooks, disabled: tuple[str, ...] = ()) -> None:
    """Apply the runtime's patches (all but ``disabled``); ``runtime_hooks`` receives function
    invocations and stream records. MotoVersionError (nothing applied) for an unsupported moto,
    RuntimeError when a runtime already runs in this process, KeyError for an unknown name."""
    check_versions(disabled)
    wanted = [name for name in RUNTIME_PATCHES if name not in disabled]
    hooks.attach(runtime_hooks)
    try:
        REGISTRY.enable(*wanted)
    except BaseException:
        REGISTRY.disable(*RUNTIME_PATCHES)
        hooks.detach()
        raise


def stop() -> None:
    """Undo the runtime's patches (the Step Functions Local ones stay as sfn_local set them)."""
    REGISTRY.disable(*RUNTIME_PATCHES)
    interpreter.clear_caches()
    hooks.detach()


def started() -> bool:
    return hooks.attached()
