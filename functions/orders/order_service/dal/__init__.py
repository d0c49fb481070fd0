"""The data layer: the only package that talks to DynamoDB, SQS and Step Functions."""
