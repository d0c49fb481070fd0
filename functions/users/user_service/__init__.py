"""Users: a CRUD API with transactional email uniqueness, and a DynamoDB-Streams mailer.

Layout: ``handlers`` (Lambda entry points, Powertools only), ``logic`` (rules, no boto3),
``dal`` (the only modules that call AWS).
"""
