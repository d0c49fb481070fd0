"""The reliability suite, small (the full one is `make soak`): 100 orders from 16 clients against
stock 100 with 20% DynamoDB throttling, 10% SQS errors, 5% Lambda throttles and stream-side faults
(SES throttling, mailer crashes); every invariant of orderflow.reliability holds, and the faults
really fired and were really retried."""

from __future__ import annotations

import pytest

from orderflow.reliability import run

pytestmark = pytest.mark.e2e


def test_the_design_holds_under_faults() -> None:
    report = run(orders=100, clients=16, stock=100, seed=7, users=10)
    print(report.format())
    assert report.ok, report.format()
    assert sum(report.outcomes.values()) == 100
    assert report.outcomes["CONFIRMED"] > 0 and report.outcomes["REJECTED"] > 0  # stock 100 runs out
    # every rule saw calls; the frequent faults fired (expected ~60 and ~25 at this seed and size)
    assert all(rule["matched"] > 0 for rule in report.rules), report.rules
    assert report.injected["ProvisionedThroughputExceededException"] > 10
    assert report.injected["TooManyRequestsException"] > 5
    assert report.retries["Lambda.TooManyRequestsException"] > 0  # the ASL's Retry matched them
