"""SQS depth sampling (runtime/service_metrics.py, ServiceMetrics.sample): once a period, at the
caller's clock; a call that finds no queue yet (the runtime's first flush comes before the stack's
deploy) does not start the period, so the queues' first data point is not a minute late (the
dashboard's dead-letter widget said "no data" for that minute while the queue held a message)."""

from __future__ import annotations

from orderflow.runtime.service_metrics import QueueDepth, ServiceMetrics
from orderflow.runtime.telemetry import Datum


def test_the_first_queues_are_sampled_as_soon_as_they_exist() -> None:
    shipped: list[Datum] = []
    queues: list[QueueDepth] = []
    metrics = ServiceMetrics(shipped.extend, queue_depths=lambda: list(queues), period=60.0)
    assert metrics.sample(1000.0) is False  # no queue yet: nothing sampled, no period started
    queues.append(("dlq", 1, 0, 0, 5.0))
    assert metrics.sample(1001.0) is True
    visible = [d for d in shipped if d.name == "ApproximateNumberOfMessagesVisible"]
    assert [(dict(d.dimensions), d.value) for d in visible] == [({"QueueName": "dlq"}, 1)]
    assert metrics.sample(1030.0) is False  # within the period
    assert metrics.sample(1061.0) is True
