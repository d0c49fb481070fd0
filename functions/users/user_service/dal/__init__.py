"""The only modules of the users service that talk to AWS (DynamoDB, SES)."""
