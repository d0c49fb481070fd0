"""kms_pickle, dynamodb_pickle, sqs_pickle, lambda_pickle, sfn_pickle (runtime/moto/state.py): moto's
backends pickled and loaded again, as orderflow up's state dir keeps them across a restart.

Each gap test is a strict xfail on plain moto, each patched test runs the same check with the patch on
(the pattern, and what to do when upgrading moto: tests/moto_patches/support.py).
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import LimitedSizeDict
from moto.kms.models import kms_backends
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto import state as moto_state
from tests.moto_patches.support import (
    ACCOUNT,
    PASS_MACHINE,
    REGION,
    client,
    create_function,
    create_state_machine,
    finished_execution,
    gap,
    wait_until,
)

# ---------------------------------------------------------------- sqs_pickle, lambda_pickle, sfn_pickle


def round_trip(backend: Any) -> Any:
    """``backend`` pickled and loaded again (what orderflow up's state dir keeps across a restart);
    a backend plain pickle refuses is an assertion failure."""
    try:
        data = pickle.dumps(backend, protocol=pickle.HIGHEST_PROTOCOL)
    except (TypeError, AttributeError, pickle.PicklingError) as exc:
        raise AssertionError(f"moto's {type(backend).__name__} cannot be pickled: {exc}") from exc
    return pickle.loads(data)


def check_kms_pickle() -> None:
    kms = client("kms")
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=key_id, Message=b"kept", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    restored = round_trip(kms_backends[ACCOUNT][REGION])
    key = restored.describe_key(key_id)
    assert key.private_key.verify(b"kept", signature, "RSASSA_PSS_SHA_256"), "the same private key"


@gap("kms_pickle")
def test_kms_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_kms_pickle()


def test_kms_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("kms_pickle"):
        check_kms_pickle()


def check_dynamodb_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"pk": {"S": "a"}, **{f"a{i}": {"S": "x" * 10} for i in range(20)}}
    ddb.put_item(TableName="kept", Item=item)
    data = pickle.dumps(dynamodb_backends[ACCOUNT][REGION])
    checks = []
    original = LimitedSizeDict.__setitem__
    monkeypatch.setattr(
        LimitedSizeDict,
        "__setitem__",
        lambda self, key, value: checks.append(key) or original(self, key, value),
    )
    restored = pickle.loads(data)
    [kept] = restored.get_table("kept").all_items()
    assert kept.to_json()["Attributes"] == item
    assert checks == [], f"loading re-checked the item's size at each of its {len(checks)} attributes"


@gap("dynamodb_pickle")
def test_dynamodb_pickle_gap_in_plain_moto(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    check_dynamodb_pickle(monkeypatch)


def test_dynamodb_pickle_patched(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with REGISTRY.enabled("dynamodb_pickle"):
        check_dynamodb_pickle(monkeypatch)


def check_sqs_pickle() -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="kept")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="survives")
    restored = round_trip(sqs_backends[ACCOUNT][REGION])
    queue = restored.get_queue("kept")
    assert [m.body for m in queue.messages] == ["survives"]
    with queue._messages_lock:  # a working lock of its own
        queue._messages_lock.notify_all()


@gap("sqs_pickle")
def test_sqs_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_sqs_pickle()


def test_sqs_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sqs_pickle"):
        check_sqs_pickle()


def check_lambda_pickle() -> None:
    arn = create_function("kept")
    restored = round_trip(lambda_backends[ACCOUNT][REGION])
    assert restored.get_function(arn).function_name == "kept", "found again by its ARN"
    assert restored.get_function("kept").function_arn == arn


@gap("lambda_pickle")
def test_lambda_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_lambda_pickle()


def test_lambda_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("lambda_pickle"):
        check_lambda_pickle()


WAITING_MACHINE = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def check_sfn_pickle() -> None:
    sfn = client("stepfunctions")
    done_arn = sfn.start_execution(stateMachineArn=create_state_machine(sfn, PASS_MACHINE), input="{}")[
        "executionArn"
    ]
    finished_execution(sfn, done_arn)
    waiting = create_state_machine(sfn, WAITING_MACHINE, name="waiting")
    running_arn = sfn.start_execution(stateMachineArn=waiting, input="{}")["executionArn"]
    wait_until(
        lambda: len(sfn.get_execution_history(executionArn=running_arn)["events"]) >= 2, "the Wait entered"
    )
    history = sfn.get_execution_history(executionArn=done_arn)["events"]
    restored = round_trip(stepfunctions_parser_backends[ACCOUNT][REGION])
    done = restored.describe_execution(done_arn)
    assert done.status == "SUCCEEDED"
    assert [e["type"] for e in done.to_history_output()["events"]] == [e["type"] for e in history]
    running = restored.describe_execution(running_arn)
    assert running.status == "RUNNING", "kept RUNNING, with its history, to be resumed (sfn_resume)"
    assert isinstance(running.exec_worker, moto_state.SavedWorker)
    assert [e["type"] for e in running.to_history_output()["events"]][:2] == [
        "ExecutionStarted",
        "WaitStateEntered",
    ]
    sfn.stop_execution(executionArn=running_arn)


@gap("sfn_pickle")
def test_sfn_pickle_gap_in_plain_moto(moto_aws: None) -> None:
    check_sfn_pickle()


def test_sfn_pickle_patched(moto_aws: None) -> None:
    with REGISTRY.enabled("sfn_pickle"):
        check_sfn_pickle()
