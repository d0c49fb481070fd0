"""Scores a loan application: 1 risk point per 1,000 of the amount, approved up to MAX_RISK."""

import os


def handler(event, context):
    risk = min(100, int(event["amount"]) // 1000)
    return {"risk": risk, "approved": risk <= int(os.environ["MAX_RISK"])}
