"""Reports the environment it runs in, read at the start and at the end of a held invocation."""

import os
import time


def handler(event, context):
    started = time.time()
    first = os.environ.get("PROBE_NAME")
    time.sleep(float(event.get("hold", 0)))  # the function's own work: keeps two invocations overlapping
    return {
        "function": context.function_name,
        "env_function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "first": first,
        "last": os.environ.get("PROBE_NAME"),
        "only_a": os.environ.get("ONLY_A"),
        "only_b": os.environ.get("ONLY_B"),
        "shared": os.environ.get("SHARED"),
        "pid": os.getpid(),
        "start": started,
        "end": time.time(),
    }
