"""moto's whole state to a file and back: what ``orderflow up --state-dir`` keeps across a restart.

moto's backends are plain Python objects held in ``BackendDict`` s (service -> account -> region ->
backend); every one in use is listed in ``BackendDict._instances``. :func:`save` pickles all of them
in one ``pickle.dump`` (so objects shared between services - the CloudFormation stack's resources
are the DynamoDB tables, the SQS queues, the state machines themselves - stay shared) and
:func:`load` puts them back into the same ``BackendDict`` s (found again by module and name).

Plain moto cannot be pickled; four named gaps (patches of the registry, each with its test in
tests/moto_patches/test_state.py) make it so:

* ``kms_pickle``: a KMS key's private key is a ``cryptography`` object (saved as PEM);
* ``sqs_pickle``: every SQS queue holds a ``threading.Condition`` (its messages' lock);
* ``lambda_pickle``: Lambda's function and layer stores index by ARN in a ``WeakValueDictionary``
  and default aliases through a ``lambda``;
* ``sfn_pickle``: an execution's history lives in its worker (threads, locks, the ASL program);
  the execution is saved with its history, its worker replaced by :class:`SavedWorker`. A Standard
  execution that was RUNNING when the state was saved comes back RUNNING with that worker, and the
  runtime resumes it once the stack runs (:mod:`.sfn_resume`); :func:`load` lists them. An Express
  one is not kept (as on AWS, nothing outlives its run): it comes back ABORTED with the error
  :data:`INTERRUPTED_ERROR` and an ``ExecutionAborted`` event saying so.

The file: one header line of JSON (format version, moto version, what the caller adds) and the
pickle. It is written to a temporary file beside it and renamed (a crash mid-write leaves the
previous file whole). :func:`load` refuses (:class:`StateError`, one line) a file of another format
version or moto version before anything is unpickled, so nothing is ever half-loaded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import os
import pickle
import sys
import threading
import weakref
from collections import defaultdict
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from moto.awslambda.models import LambdaStorage, LayerStorage
from moto.core.base_backend import BackendDict, backend_lock
from moto.dynamodb.models.dynamo_type import LimitedSizeDict
from moto.kms.utils import ECDSAPrivateKey, RSAPrivateKey
from moto.sqs.models import Queue
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import Execution

from .registry import REGISTRY, Patch, Patcher

FORMAT = "orderflow-state"
FORMAT_VERSION = 1
INTERRUPTED_ERROR = "orderflow.Interrupted"
INTERRUPTED_CAUSE = "the local runtime stopped while this execution was running; it was not resumed"
EXPRESS_CAUSE = (
    "the local runtime stopped while this Express execution was running; Express executions are not kept"
)

__all__ = [
    "FORMAT_VERSION",
    "INTERRUPTED_CAUSE",
    "INTERRUPTED_ERROR",
    "SavedRunning",
    "SavedWorker",
    "StateError",
    "history_of",
    "load",
    "mark_interrupted",
    "read_header",
    "save",
]


_saved_at: dt.datetime | None = None  # while load() runs: when the state it loads was saved
_marked: list[str] = []  # while load() runs: the Express executions it found RUNNING (and marked)
_resumable: list[str] = []  # while load() runs: the Standard executions it found RUNNING (kept so)
_saving = threading.local()  # while save() runs: .running, the RUNNING executions it saves


class StateError(RuntimeError):
    """A state file that cannot be used: one line, with what to do."""


# ------------------------------------------------------------------------------------ sqs_pickle


def _queue_getstate(self: Any) -> dict[str, Any]:
    state = dict(self.__dict__)
    state.pop("_messages_lock", None)
    return state


def _queue_setstate(self: Any, state: dict[str, Any]) -> None:
    self.__dict__.update(state)
    self._messages_lock = threading.Condition()


def _apply_sqs_pickle(patcher: Patcher) -> None:
    patcher.replace(Queue, "__getstate__", _queue_getstate)
    patcher.replace(Queue, "__setstate__", _queue_setstate)


# --------------------------------------------------------------------------------- lambda_pickle


def _storage_getstate(self: Any) -> dict[str, Any]:
    state = dict(self.__dict__)
    state["_arns"] = dict(self._arns)  # the values are kept alive by _functions/_layers
    if "_aliases" in state:
        state["_aliases"] = dict(self._aliases)
    return state


def _storage_setstate(self: Any, state: dict[str, Any]) -> None:
    self.__dict__.update(state)
    self._arns = weakref.WeakValueDictionary(state["_arns"])
    if "_aliases" in state:
        self._aliases = defaultdict(dict, state["_aliases"])


def _apply_lambda_pickle(patcher: Patcher) -> None:
    for cls in (LambdaStorage, LayerStorage):
        patcher.replace(cls, "__getstate__", _storage_getstate)
        patcher.replace(cls, "__setstate__", _storage_setstate)


# ------------------------------------------------------------------------------------ sfn_pickle


class _SavedEvents:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def get_event_history(self) -> list[dict[str, Any]]:
        return [dict(event) for event in self.events]


class _SavedEnv:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.event_manager = _SavedEvents(events)


class SavedWorker:
    """Stands in for the worker of an execution restored from a file: its history, nothing running."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.env = _SavedEnv(events)

    def stop(self, stop_date: Any = None, cause: Any = None, error: Any = None) -> None:
        """Nothing runs any more (StopExecution on a restored execution)."""


def _execution_getstate(self: Any) -> dict[str, Any]:
    state = dict(self.__dict__)
    # What only a running execution uses: its log-group session (a lock) and a start() wrapper
    # set on the instance (a closure); a restored execution never runs again.
    state["_cloud_watch_logging_session"] = None
    state.pop("start", None)
    worker = state.get("exec_worker")
    if worker is not None and not isinstance(worker, SavedWorker):
        env = getattr(worker, "env", None)
        state["exec_worker"] = SavedWorker(history_of(env.event_manager) if env is not None else [])
    running = getattr(_saving, "running", None)
    if running is not None and self.exec_status == ExecutionStatus.RUNNING:
        saved = state["exec_worker"]
        running.append(
            SavedRunning(
                machine=str(self.state_machine.name),
                name=str(self.name),
                express=_is_express(self),
                definition=str(self.state_machine.definition),
                execution_input=self.input_data,
                events=saved.env.event_manager.events if saved is not None else [],
            )
        )
    return state


@dataclasses.dataclass(frozen=True)
class SavedRunning:
    """An execution that was RUNNING in a state file, as :func:`save` wrote it."""

    machine: str
    name: str
    express: bool  # not kept: it comes back ABORTED
    definition: str
    execution_input: Any
    events: list[dict[str, Any]]


def _is_express(execution: Any) -> bool:
    return str(getattr(execution.state_machine, "type", None) or "STANDARD") == "EXPRESS"


def history_of(event_manager: Any) -> list[dict[str, Any]]:
    """The events so far: a copy of the list (events are not changed once appended), not moto's
    get_event_history(), which deep-copies every event (a third of a snapshot's time)."""
    events = getattr(event_manager, "_history_event_list", None)
    mutex = getattr(event_manager, "_mutex", None)
    if events is None or mutex is None:
        return list(event_manager.get_event_history())
    with mutex:
        return [dict(event) for event in events]


def _execution_setstate(self: Any, state: dict[str, Any]) -> None:
    self.__dict__.update(state)
    if self.exec_status != ExecutionStatus.RUNNING:
        return
    if _is_express(self):
        mark_interrupted(self, cause=EXPRESS_CAUSE)
        _marked.append(str(self.name))
    else:  # stays RUNNING with its saved history: the runtime resumes it (sfn_resume)
        _resumable.append(str(self.name))


def mark_interrupted(execution: Any, cause: str = INTERRUPTED_CAUSE) -> None:
    """A RUNNING execution that will not run again: ABORTED, with an event that says why."""
    now = _saved_at or dt.datetime.now(dt.UTC)
    worker = execution.exec_worker
    if not isinstance(worker, SavedWorker):
        worker = SavedWorker([])
        execution.exec_worker = worker
    events = worker.env.event_manager.events
    last_id = max((int(event.get("id", 0)) for event in events), default=0)
    events.append(
        {
            "timestamp": now,
            "type": "ExecutionAborted",
            "id": last_id + 1,
            "previousEventId": last_id,
            "executionAbortedEventDetails": {"error": INTERRUPTED_ERROR, "cause": cause},
        }
    )
    execution.exec_status = ExecutionStatus.ABORTED
    execution.stop_date = now
    execution.error = INTERRUPTED_ERROR
    execution.cause = cause


def _apply_sfn_pickle(patcher: Patcher) -> None:
    patcher.replace(Execution, "__getstate__", _execution_getstate)
    patcher.replace(Execution, "__setstate__", _execution_setstate)


# ------------------------------------------------------------------------------------ kms_pickle


def _private_key_getstate(self: Any) -> dict[str, Any]:
    state = dict(self.__dict__)
    state["private_key"] = self.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return state


def _private_key_setstate(self: Any, state: dict[str, Any]) -> None:
    self.__dict__.update(state)
    self.private_key = serialization.load_pem_private_key(state["private_key"], password=None)


def _apply_kms_pickle(patcher: Patcher) -> None:
    for cls in (RSAPrivateKey, ECDSAPrivateKey):
        patcher.replace(cls, "__getstate__", _private_key_getstate)
        patcher.replace(cls, "__setstate__", _private_key_setstate)


KMS_PICKLE = REGISTRY.register(
    Patch(
        "kms_pickle",
        "gap",
        "a KMS key cannot be pickled (its asymmetric private key is a cryptography object); here the "
        "private key is saved as PKCS#8 PEM and loaded back",
        _apply_kms_pickle,
    )
)

# ---------------------------------------------------------------------------------- dynamodb_pickle


def _limited_size_dict(data: dict[str, Any]) -> Any:
    attributes = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(attributes, data)  # dict's own update: no size check per attribute
    return attributes


def _limited_size_dict_reduce(self: Any) -> tuple[Any, ...]:
    return (_limited_size_dict, (dict(self),))


def _apply_dynamodb_pickle(patcher: Patcher) -> None:
    patcher.replace(LimitedSizeDict, "__reduce__", _limited_size_dict_reduce)


DYNAMODB_PICKLE = REGISTRY.register(
    Patch(
        "dynamodb_pickle",
        "speed-up",
        "loading a pickled DynamoDB item sets its attributes one by one through LimitedSizeDict."
        "__setitem__, which re-sums the size of every attribute each time (quadratic; most of a "
        "restart's load time); here an item's attributes are loaded whole (their size was checked "
        "when written)",
        _apply_dynamodb_pickle,
    )
)

SQS_PICKLE = REGISTRY.register(
    Patch(
        "sqs_pickle",
        "gap",
        "an SQS queue cannot be pickled (its messages' threading.Condition), so moto's state cannot be "
        "saved; here a queue is saved without the lock and gets a new one when loaded",
        _apply_sqs_pickle,
    )
)

LAMBDA_PICKLE = REGISTRY.register(
    Patch(
        "lambda_pickle",
        "gap",
        "Lambda's function and layer stores cannot be pickled (a WeakValueDictionary by ARN, a defaultdict "
        "with a lambda for aliases); here they are saved as plain dicts and rebuilt when loaded",
        _apply_lambda_pickle,
    )
)

SFN_PICKLE = REGISTRY.register(
    Patch(
        "sfn_pickle",
        "gap",
        "a Step Functions execution cannot be pickled (its history lives in a worker of threads and "
        "locks); here it is saved with its history, and a Standard one that was RUNNING comes back "
        "RUNNING, to be resumed (sfn_resume); an Express one comes back ABORTED with the error "
        f"{INTERRUPTED_ERROR}",
        _apply_sfn_pickle,
    )
)

STATE_PATCHES = (KMS_PICKLE.name, SQS_PICKLE.name, LAMBDA_PICKLE.name, SFN_PICKLE.name)


# ----------------------------------------------------------------------------------- save / load


def _locate(backend_dict: Any) -> tuple[str, str]:
    """(module, name) of the module-level global that is ``backend_dict``."""
    module_name = backend_dict.backend.__module__
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    for name, value in vars(module).items():
        if value is backend_dict:
            return module_name, name
    raise StateError(f"moto's {backend_dict.service_name} backends are not a module global of {module_name}")


def _snapshot() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    with backend_lock:
        instances = list(BackendDict._instances)  # type: ignore[misc]
    return {
        _locate(bd): {account: dict(regions.items()) for account, regions in list(bd.items())}
        for bd in instances
    }


def _iter_pickle(data: Any) -> bytes:
    # A backend mutated by a running execution's thread while it is pickled ("dictionary changed
    # size during iteration"): try again, a few times.
    for attempt in range(5):
        if getattr(_saving, "running", None) is not None:
            _saving.running = []  # what an attempt that failed half-way recorded goes with it
        try:
            return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except RuntimeError:
            if attempt == 4:
                raise
        except (TypeError, AttributeError, pickle.PicklingError) as exc:
            # a part of moto no patch here makes picklable (a service this project has not met yet)
            raise StateError(
                f"moto's state cannot be saved ({' '.join(str(exc).split())}): start with --in-memory"
            ) from exc
    raise AssertionError("unreachable")


def save(path: Path, extra: dict[str, Any] | None = None, running: list[SavedRunning] | None = None) -> int:
    """Write every backend of moto to ``path`` (atomically), with ``extra`` in the header; the size in
    bytes. ``running`` gets the executions saved RUNNING. The state patches must be on
    (:data:`STATE_PATCHES`)."""
    missing = [name for name in STATE_PATCHES if name not in REGISTRY.active()]
    if missing:
        raise StateError(f"moto's state cannot be saved with the patch {missing[0]} off")
    _saving.running = []
    try:
        body = _iter_pickle(_snapshot())
        if running is not None:
            running.extend(_saving.running)
    finally:
        _saving.running = None
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "moto_version": installed_version("moto"),
        "saved_at": dt.datetime.now(dt.UTC).isoformat(),
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # owner-only, as the admin token beside it: it holds every item and mail, and loading it runs
        # pickle (only ever a file this user wrote)
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(json.dumps(header, default=str).encode("utf-8") + b"\n")
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(body)


def read_header(path: Path) -> dict[str, Any]:
    """The header of a state file; StateError for one this version cannot load."""
    hint = f"delete {path.parent} or start with --in-memory"
    try:
        with open(path, "rb") as handle:
            line = handle.readline(64 * 1024)
        header = json.loads(line)
    except (OSError, ValueError) as exc:
        raise StateError(f"state file {path} cannot be read ({exc.__class__.__name__}): {hint}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StateError(f"{path} is not an orderflow state file: {hint}")
    if header.get("format_version") != FORMAT_VERSION:
        raise StateError(
            f"state in {path} has format version {header.get('format_version')}, this orderflow reads "
            f"version {FORMAT_VERSION}: {hint}"
        )
    have = installed_version("moto")
    if header.get("moto_version") != have:
        raise StateError(
            f"state in {path} was written with moto {header.get('moto_version')}, this is moto {have}: {hint}"
        )
    return header


def load(path: Path) -> dict[str, Any]:
    """Replace every backend of moto by those saved in ``path``; its header, plus ``interrupted``: the
    names of the Express executions that were RUNNING when it was saved (now ABORTED), and
    ``resumable``: the Standard ones (still RUNNING, to be resumed, see :mod:`.sfn_resume`).
    StateError (nothing changed) for a file of another version or one that cannot be read whole."""
    header = read_header(path)
    missing = [name for name in STATE_PATCHES if name not in REGISTRY.active()]
    if missing:
        raise StateError(f"moto's state cannot be loaded with the patch {missing[0]} off")
    global _saved_at
    _marked.clear()
    _resumable.clear()
    try:
        _saved_at = dt.datetime.fromisoformat(str(header.get("saved_at")))
    except ValueError:
        _saved_at = None
    try:
        with open(path, "rb") as handle:
            handle.readline(64 * 1024)
            saved = pickle.load(handle)  # noqa: S301 - our own file, in the user's own state dir
    except Exception as exc:
        raise StateError(
            f"state file {path} cannot be loaded ({type(exc).__name__}): delete {path.parent} "
            "or start with --in-memory"
        ) from None
    finally:
        _saved_at = None
    with backend_lock:
        for (module_name, name), accounts in saved.items():
            backend_dict = getattr(importlib.import_module(module_name), name)
            backend_dict.clear()
            for account_id, regions in accounts.items():
                backend_dict._create_account_specific_backend(account_id)
                account_backend = dict.__getitem__(backend_dict, account_id)
                dict.clear(account_backend)
                for region, backend in regions.items():
                    dict.__setitem__(account_backend, region, backend)
    header["interrupted"] = sorted(_marked)
    header["resumable"] = sorted(_resumable)
    _marked.clear()
    _resumable.clear()
    return header
