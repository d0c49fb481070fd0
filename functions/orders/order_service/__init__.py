"""The order workflow's Lambda functions: ValidateOrder, CheckStock, WriteOrder, NotifyOrder, OrdersApi.

Three rooms: ``handlers`` (event in, JSON out), ``logic`` (the rules, no boto3), ``dal`` (the only code
that calls AWS).
"""
