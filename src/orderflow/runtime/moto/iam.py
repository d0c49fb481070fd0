"""IAM enforced for role sessions, as AWS evaluates identity policies; AWS-managed policies attached.

What plain moto 5.2.5 covers (``moto/iam/access_control.py``): nothing unless
``INITIAL_NO_AUTH_ACTION_COUNT`` is set, and then every request is checked, so a key that is no IAM
user or role session (``AWS_ACCESS_KEY_ID=x``) is refused (``InvalidClientTokenId``). The resource
is ``"*"`` for every service but SQS, S3 and IAM, so a policy scoped to a table ARN never allows
anything on it; conditions are evaluated for trust policies only; a DynamoDB transaction is one
``dynamodb:TransactWriteItems`` action (AWS authorises each item: ``PutItem``, ``UpdateItem``,
``DeleteItem``, ``ConditionCheckItem`` on its table); the denial names no resource. And an
``AWS::IAM::Role``'s ``ManagedPolicyArns`` are dropped, while AWS-managed policies exist only with
``MOTO_IAM_LOAD_MANAGED_POLICIES`` (all 1,582 of them, seconds to parse).

Three patches close that:

- ``iam_role_sessions``: every request signed with the key of an ``sts:AssumeRole`` session is
  evaluated against the role's policies (inline and attached managed ones): actions and resources
  with ``*``/``?`` wildcards, ``NotAction``/``NotResource``, ``Deny`` over ``Allow``, DynamoDB index
  ARNs (``table/T/index/I`` for a Query or Scan of an index), per-item actions of transactions,
  ``BatchGetItem``/``BatchWriteItem`` per table, and the condition operators ``StringEquals``,
  ``StringNotEquals``, ``StringLike``, ``StringNotLike`` on the keys this module knows per request
  (``ses:FromAddress``); a statement with any other condition does not apply (an ``Allow`` it would
  give is not given). Any other key is the account's administrator, as before. A denial answers in
  the service's wire format with AWS's message, and is handed to the runtime (``hooks.iam_denied``).
  Decisions are cached per (role, action, resource, condition values); every IAM write clears the
  cache.
- ``iam_cfn_managed_policies``: ``ManagedPolicyArns`` of a CloudFormation role are attached; an
  AWS-managed policy it names is created from moto's copy of its real document (only those named).
- ``sfn_task_role``: the ASL interpreter's service integrations run under the state machine's role
  (a session of it signs SQS and the other HTTP calls; an in-process Lambda invoke is authorised
  against it), where plain moto signs them all with one fixed key.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.config import Config
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam import models as iam_models
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException

from .. import aws_wire
from ..iam_policy import (
    Check,
    Decision,
    Statement,
    dynamodb_checks,
    evaluate,
    parse_policies,
)
from . import hooks, iam_resources
from .registry import REGISTRY, Patch, Patcher

# ======================================================================= what a request asks for

_SERVICE_PREFIX = {"email": "ses", "monitoring": "cloudwatch", "states": "states"}


def _param(response: Any, name: str) -> Any:
    try:
        return response._get_param(name)
    except Exception:
        return None


def request_checks(response: Any, service: str, operation: str) -> list[Check]:
    """The (action, resource, condition context) checks one request of moto's ``response`` needs."""
    region, account = response.region, response.current_account
    prefix = _SERVICE_PREFIX.get(service, service)
    if service == "dynamodb":
        body = response.body if isinstance(response.body, dict) else {}
        if not body and response.body:
            try:
                body = json.loads(response.body)
            except (TypeError, ValueError):
                body = {}
        return dynamodb_checks(operation, body, region, account)
    if service == "sqs":
        resource = response._determine_resource() if hasattr(response, "_determine_resource") else "*"
        return [Check(f"sqs:{operation}", resource)]
    if service == "lambda":
        resource = "*"
        match = re.search(r"/functions/([^/]+)", response.path or "")
        if match:
            name = unquote(match.group(1))
            resource = (
                name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
            )
        action = "InvokeFunction" if operation == "Invoke" else operation
        return [Check(f"lambda:{action}", resource)]
    if service == "states":
        for key in ("executionArn", "stateMachineArn", "activityArn", "resourceArn"):
            value = _param(response, key)
            if value:
                return [Check(f"states:{operation}", str(value))]
        return [Check(f"states:{operation}", "*")]
    if prefix == "ses":
        source = _param(response, "Source") or _param(response, "FromEmailAddress")
        if operation in ("SendEmail", "SendRawEmail", "SendTemplatedEmail") and source:
            address = str(source).rsplit("<", 1)[-1].rstrip(">").strip()
            return [
                Check(
                    f"ses:{operation}",
                    f"arn:aws:ses:{region}:{account}:identity/{address}",
                    (("ses:fromaddress", address),),
                )
            ]
        return [Check(f"ses:{operation}", "*")]
    resolved = iam_resources.checks(prefix, operation, lambda name: _param(response, name), region, account)
    return resolved or [Check(f"{prefix}:{operation}", "*")]


# ============================================================================== role sessions


@dataclass(frozen=True)
class Session:
    access_key_id: str
    role_arn: str
    role_name: str
    session_name: str
    account: str

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"


@dataclass(frozen=True)
class Denial:
    """One refused request: who, what, on what, and the statement that would allow it."""

    session: Session
    action: str
    resource: str
    explicit_deny: Statement | None
    message: str

    def suggested_statement(self) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": self.action, "Resource": self.resource}


_lock = threading.Lock()
_sessions: dict[str, Session] = {}
_admin_keys: set[str] = set()
_decisions: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], Decision] = {}
_statements: dict[str, list[Statement]] = {}


def clear_caches() -> None:
    """Forget every cached decision and policy (an IAM write happened, or moto was reset)."""
    with _lock:
        _decisions.clear()
        _statements.clear()


def _forget_sessions() -> None:
    with _lock:
        _sessions.clear()
        _admin_keys.clear()
        _decisions.clear()
        _statements.clear()


_owner: list[tuple[int, int]] = []


def session_for_key(access_key_id: str, account: str) -> Session | None:
    """The role session an access key belongs to (moto's STS keeps them), or None: any other key."""
    sts = sts_backends[account]["aws"]
    owner = (id(sts), id(iam_backends[account]["aws"]))
    if _owner != [owner]:  # moto was reset: sessions, roles and policies are new
        _forget_sessions()
        _owner[:] = [owner]
    session = _sessions.get(access_key_id)
    if session is not None or access_key_id in _admin_keys:
        return session
    for assumed in sts.assumed_roles:
        if assumed.access_key_id == access_key_id:
            role_name = assumed.role_arn.split("/")[-1]
            session = Session(access_key_id, assumed.role_arn, role_name, assumed.session_name, account)
            with _lock:
                _sessions[access_key_id] = session
            return session
    with _lock:
        if len(_admin_keys) > 4096:
            _admin_keys.clear()
        _admin_keys.add(access_key_id)
    return None


def role_statements(account: str, role_arn: str) -> list[Statement]:
    """Every statement of a role's identity policies: inline ones and the attached managed ones."""
    cached = _statements.get(role_arn)
    if cached is not None:
        return cached
    backend = iam_backends[account]["aws"]
    try:
        role = backend.get_role_by_arn(role_arn)
    except Exception:
        documents: list[tuple[str, Any]] = []
    else:
        documents = list(role.policies.items())
        for arn, managed in role.managed_policies.items():
            version = next((v for v in managed.versions if v.is_default), None)
            if version is not None:
                documents.append((arn, version.document))
    statements = parse_policies(documents)
    with _lock:
        _statements[role_arn] = statements
    return statements


def decide(session: Session, check: Check) -> Decision:
    key = (session.role_arn, check.action, check.resource, check.context)
    decision = _decisions.get(key)
    if decision is None:
        decision = evaluate(
            role_statements(session.account, session.role_arn),
            check.action,
            check.resource,
            dict(check.context),
        )
        with _lock:
            if len(_decisions) > 65536:
                _decisions.clear()
            _decisions[key] = decision
    return decision


def denial_message(session: Session, check: Check, decision: Decision) -> str:
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.explicit_deny is not None
        else f"because no identity-based policy allows the {check.action} action"
    )
    return (
        f"User: {session.arn} is not authorized to perform: {check.action} "
        f"on resource: {check.resource} {why}"
    )


def authorize(session: Session, checks: Iterable[Check]) -> Denial | None:
    """The first denied check of a request (reported to the runtime), or None when all are allowed."""
    for check in checks:
        decision = decide(session, check)
        if not decision.allowed:
            denial = Denial(
                session,
                check.action,
                check.resource,
                decision.explicit_deny,
                denial_message(session, check, decision),
            )
            if hooks.attached():
                report = getattr(hooks.current(), "iam_denied", None)
                if report is not None:
                    report(denial)
            return denial
    return None


def assume_role(account: str, role_arn: str, session_name: str) -> tuple[str, str, str]:
    """Credentials of a new session of ``role_arn`` (what Lambda and Step Functions get)."""
    assumed = sts_backends[account]["aws"].assume_role(
        region_name="us-east-1",
        role_session_name=session_name[:64],
        role_arn=role_arn,
        policy="",
        duration=43200,
        external_id="",
    )
    return assumed.access_key_id, assumed.secret_access_key, assumed.session_token


# ===================================================================== iam_role_sessions (patch)

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")


class AccessDenied(HTTPException):
    """The service's own answer to an IAM denial (moto's call_action sends its body and status)."""

    def __init__(self, status: int, body: str):
        super().__init__(description=body)
        self.code = status

    def get_body(self, *args: Any, **kwargs: Any) -> str:  # pragma: no cover - moto uses .description
        return str(self.description)


def _deny(response: Any, service: str, denial: Denial) -> None:
    """Answer the request with the service's AccessDenied, in the protocol the request was made in."""
    query = bool(response.querystring.get("Action")) and "json" not in (
        response.headers.get("Content-Type") or ""
    )
    if service in ("email", "ses") or query:
        code = "AccessDenied" if service in ("sqs", "email", "ses") else "AccessDeniedException"
        wire = aws_wire.error_response(service, code, denial.message, 403, protocol="query")
    elif service == "lambda":
        wire = aws_wire.error_response(service, "AccessDeniedException", denial.message, 403)
    elif service == "sqs":
        wire = aws_wire.error_response(
            service,
            "AccessDeniedException",
            denial.message,
            403,
            protocol="json",
            namespace=aws_wire.CORAL_NAMESPACE,
            query_code="AccessDenied",
        )
    else:  # DynamoDB, Step Functions: a 400 with the service's own namespace
        wire = aws_wire.error_response(service, "AccessDeniedException", denial.message, 400)
    response.response_headers.update(wire.headers)
    raise AccessDenied(wire.status, wire.body.decode())


def _authorize_request(response: Any, resource: str = "*") -> None:
    """Replaces moto's check: role sessions are evaluated, any other key (or none) is the admin."""
    auth = response.headers.get("Authorization") or ""
    match = _CREDENTIAL.search(auth)
    if match is None:
        return
    key, _region, service = match.groups()
    if key in _admin_keys:
        return
    session = session_for_key(key, response.current_account)
    if session is None:
        return
    operation = response._get_action()
    if service == "sts" and operation == "GetCallerIdentity":  # always allowed, as on AWS
        return
    denial = authorize(session, request_checks(response, service, operation))
    if denial is not None:
        _deny(response, service, denial)


_IAM_WRITES_BACKEND = (
    "put_role_policy",
    "delete_role_policy",
    "attach_role_policy",
    "detach_role_policy",
    "create_policy_version",
    "delete_policy_version",
    "set_default_policy_version",
    "delete_role",
    "delete_policy",
)


def _apply_role_sessions(patcher: Patcher) -> None:
    _forget_sessions()
    patcher.replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", _authorize_request)
    backend_cls = iam_models.IAMBackend
    for name in _IAM_WRITES_BACKEND:
        patcher.replace(backend_cls, name, _clearing(getattr(backend_cls, name)))
    for owner, name in ((iam_models.Role, "put_policy"), (iam_models.Role, "delete_policy")):
        patcher.replace(owner, name, _clearing(getattr(owner, name)))
    for name in ("attach_to", "detach_from"):
        patcher.replace(iam_models.ManagedPolicy, name, _clearing(getattr(iam_models.ManagedPolicy, name)))


def _clearing(method: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            clear_caches()

    wrapper.__name__ = getattr(method, "__name__", "wrapper")
    wrapper.__doc__ = method.__doc__
    return wrapper


IAM_ROLE_SESSIONS = REGISTRY.register(
    Patch(
        name="iam_role_sessions",
        kind="gap",
        summary=(
            "IAM is evaluated only with INITIAL_NO_AUTH_ACTION_COUNT, then for every key (any other key "
            "is refused), against resource '*' for most services (a policy scoped to a table never "
            "allows it), without conditions or per-item transaction actions, and the denial names no resource"
        ),
        apply=_apply_role_sessions,
    )
)


# =============================================================== iam_cfn_managed_policies (patch)

_AWS_MANAGED = re.compile(r"^arn:aws[\w-]*:iam::aws:policy/(?:.*/)?([^/]+)$")


def aws_managed_policy_data(name: str) -> dict[str, Any] | None:
    """moto's copy of an AWS-managed policy (its real document), parsed alone (not all 1,582)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data as data

    start = data.find(f'"{name}":' + "{")
    if start < 0:
        start = data.find(f'"{name}": ' + "{")
    if start < 0:
        return None
    brace = data.index("{", start + len(name) + 2)
    value, _ = json.JSONDecoder().raw_decode(data, brace)
    return value if isinstance(value, dict) else None


def attach_managed_policy(account: str, role_name: str, policy_arn: str) -> None:
    """Attach ``policy_arn`` to the role, creating an AWS-managed policy from moto's data if needed."""
    backend = iam_backends[account]["aws"]
    if policy_arn not in backend.managed_policies:
        match = _AWS_MANAGED.match(policy_arn)
        data = aws_managed_policy_data(match.group(1)) if match else None
        if data is None:
            raise iam_models.NotFoundException(f"Policy {policy_arn} does not exist or is not attachable.")
        policy = iam_models.AWSManagedPolicy.from_data(match.group(1), account, "us-east-1", data)  # type: ignore[union-attr]
        backend.managed_policies[policy.arn] = policy
    backend.attach_role_policy(policy_arn, role_name)


def _apply_cfn_managed_policies(patcher: Patcher) -> None:
    original = iam_models.Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        role = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        for arn in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns") or []:
            attach_managed_policy(account_id, role.name, str(arn))
        return role

    patcher.replace(
        iam_models.Role, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json)
    )


IAM_CFN_MANAGED_POLICIES = REGISTRY.register(
    Patch(
        name="iam_cfn_managed_policies",
        kind="gap",
        summary=(
            "an AWS::IAM::Role's ManagedPolicyArns are ignored, and AWS-managed policies do not exist "
            "unless all 1,582 are loaded (MOTO_IAM_LOAD_MANAGED_POLICIES)"
        ),
        apply=_apply_cfn_managed_policies,
    )
)


# ========================================================================= sfn_task_role (patch)

_role_clients: dict[tuple[str, str, str, str], Any] = {}
_role_credentials: dict[str, tuple[str, str, str]] = {}


def role_credentials(role_arn: str, session_name: str = "StepFunctions") -> tuple[str, str, str]:
    """One session per role for the interpreter's calls (made once, reused)."""
    credentials = _role_credentials.get(role_arn)
    if credentials is None:
        account = role_arn.split(":")[4] or "123456789012"
        credentials = _role_credentials[role_arn] = assume_role(account, role_arn, session_name)
    return credentials


class RoleLambdaClient:
    """The interpreter's Lambda client, authorised as the state machine's role first."""

    def __init__(self, inner: Any, role_arn: str, region: str):
        self._inner = inner
        self._role_arn = role_arn
        self._region = region

    def invoke(self, FunctionName: str, **kwargs: Any) -> Any:
        account = self._role_arn.split(":")[4]
        key, _, _ = role_credentials(self._role_arn)
        session = session_for_key(key, account)
        if session is not None:
            resource = (
                FunctionName
                if FunctionName.startswith("arn:")
                else f"arn:aws:lambda:{self._region}:{account}:function:{FunctionName}"
            )
            denial = authorize(session, [Check("lambda:InvokeFunction", resource)])
            if denial is not None:
                raise aws_wire.client_error("AccessDeniedException", denial.message, 403, "Invoke")
        return self._inner.invoke(FunctionName=FunctionName, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _apply_task_role(patcher: Patcher) -> None:
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    from . import interpreter

    _role_clients.clear()
    _role_credentials.clear()
    for module in interpreter.task_client_modules():
        previous = module.boto_client_for

        def client_for(
            region: str, service: str, state_credentials: Any = None, _previous: Any = previous
        ) -> Any:
            role_arn = getattr(state_credentials, "role_arn", None)
            if not role_arn:
                return _previous(region, service, state_credentials)
            if service == "lambda":
                return RoleLambdaClient(_previous(region, service, state_credentials), role_arn, region)
            port = str(moto_server_port())
            key = (region, service, role_arn, port)
            client = _role_clients.get(key)
            if client is None:
                access_key, secret, token = role_credentials(role_arn)
                # in-process moto (mock_aws) intercepts botocore; a server is called at its port
                endpoint = None if botocore_stubber.enabled else f"http://127.0.0.1:{port}"
                client = _role_clients[key] = boto3.client(
                    service,
                    region_name=region,
                    endpoint_url=endpoint,
                    aws_access_key_id=access_key,
                    aws_secret_access_key=secret,
                    aws_session_token=token,
                    config=Config(
                        parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1}
                    ),
                )
            return client

        patcher.replace(module, "boto_client_for", client_for)


SFN_TASK_ROLE = REGISTRY.register(
    Patch(
        name="sfn_task_role",
        kind="gap",
        summary=(
            "the ASL interpreter's service integrations ignore the state machine's role "
            "(one fixed key signs them all)"
        ),
        apply=_apply_task_role,
    )
)

ENFORCEMENT_PATCHES = (IAM_ROLE_SESSIONS.name, SFN_TASK_ROLE.name)
