"""The one Logger, Tracer and Metrics of a function, created once per execution environment.

POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_LOG_LEVEL come from the template.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Most invocations publish no application metric (only a rejection or a written order does): that is
# expected here, so Powertools' "No application metrics to publish" warning on each of them is noise.
# Filtering it is the fix the Powertools metrics documentation gives; raise_on_empty_metrics stays off.
warnings.filterwarnings("ignore", "No application metrics to publish*")
