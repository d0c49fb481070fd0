"""Racing requests for one email address: exactly one wins.

Each thread plays one Lambda execution environment (its own resolver, service and client) and all
start together behind a barrier. moto applies a transaction in several unlocked steps, so the
fixture serialises moto's DynamoDB requests, one at a time, as DynamoDB serialises transactions, and
lets each one take a little while, as a network would: requests of different threads interleave, so a
check-then-write implementation (Query the index, then Put) lets several threads through and fails.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.dynamodb.responses import DynamoHandler

from tests.functions.users.users_support import rest_event, to_response
from tests.support.lambda_env import LambdaContext

THREADS = 8
LATENCY_SECONDS = 0.02


@pytest.fixture
def serialised_dynamodb(monkeypatch):
    lock = threading.Lock()
    original = DynamoHandler.call_action

    def one_at_a_time(self):
        time.sleep(LATENCY_SECONDS)  # the other threads run meanwhile, as over a network
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


@pytest.fixture
def environments(users_api, serialised_dynamodb):
    """THREADS independent resolvers, as THREADS warm Lambda environments would have."""
    from user_service.dal.users_table import UserStore
    from user_service.logic.users import UserService

    settings = users_api.settings
    apps = []
    for _ in range(THREADS):
        repository = UserStore(settings.users_table_name, settings.email_claims_table_name)
        app = users_api.build_app(UserService(repository))
        # Warm: a resolver builds its validation models on its first request; cold ones would
        # reach DynamoDB one after another instead of together.
        app.resolve(rest_event("POST", "/users", body={"email": "warm-up"}), LambdaContext())
        apps.append(app)
    return apps


def _race(apps, events):
    barrier = threading.Barrier(len(apps))

    def run(app, event):
        barrier.wait()
        return to_response(app.resolve(event, LambdaContext()))

    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        return list(pool.map(run, apps, events))


def test_concurrent_creates_with_one_email_make_exactly_one_user(environments, tables):
    events = [
        rest_event("POST", "/users", body={"email": "Same@Example.com", "name": f"Racer {i}"})
        for i in range(THREADS)
    ]

    responses = _race(environments, events)

    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * (THREADS - 1), [r.json for r in responses]
    [winner] = [r.json for r in responses if r.status == 201]
    assert tables.user_items() == [winner]
    assert tables.claims_by_email() == {"same@example.com": winner["userId"]}


def test_concurrent_email_changes_to_one_address_let_exactly_one_through(environments, create_user, tables):
    users = [create_user(f"user{i}@example.com", name=f"User {i}") for i in range(THREADS)]
    events = [
        rest_event("PUT", f"/users/{user['userId']}", body={"email": "wanted@example.com"}) for user in users
    ]

    responses = _race(environments, events)

    assert sorted(r.status for r in responses) == [200] + [409] * (THREADS - 1)
    [winner] = [r.json for r in responses if r.status == 200]
    claims = tables.claims_by_email()
    assert claims["wanted@example.com"] == winner["userId"]
    assert len(claims) == THREADS  # the winner released its old address, nobody else changed
    assert sorted(u["email"] for u in tables.user_items()) == sorted(claims)
