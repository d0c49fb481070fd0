"""Callback with a task token behind an API, through orderflow's pytest plugin:
pytest --orderflow-template template.yaml

The workflow queues a review request with its task token and waits; POST /decisions sends the token back.
https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
"""

import json
import urllib.error
import urllib.request


def decide(stack, body):
    """POST /decisions through the local API Gateway: its status code."""
    request = urllib.request.Request(
        stack.api_url + "decisions",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def next_request(stack):
    """The review request the workflow queued (with its task token)."""
    sqs, url = stack.client("sqs"), stack.outputs["ApprovalRequestsUrl"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return json.loads(messages[0]["Body"])


def test_an_approved_request_is_published(orderflow_stack):
    execution = orderflow_stack.start_execution("ReviewStateMachine", {"title": "Spring sale"})
    request = next_request(orderflow_stack)
    assert request["request"] == {"title": "Spring sale"}
    assert decide(orderflow_stack, {"token": request["token"], "approved": True, "by": "ana"}) == 202
    described = execution.wait(30)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"published": "Spring sale", "by": "ana"}


def test_a_rejected_request_fails_the_workflow(orderflow_stack):
    execution = orderflow_stack.start_execution("ReviewStateMachine", {"title": "Clearance"})
    token = next_request(orderflow_stack)["token"]
    assert decide(orderflow_stack, {"token": token, "approved": False, "by": "bo"}) == 202
    described = execution.wait(30)
    assert (described["status"], described["error"]) == ("FAILED", "Refused")
    assert "TaskFailed" in orderflow_stack.history(execution).types()


def test_a_bad_decision_is_refused(orderflow_stack):
    assert decide(orderflow_stack, {"approved": True}) == 400
    assert decide(orderflow_stack, {"token": "no-such-token", "approved": True}) == 404
