"""Business rules of the order workflow. No boto3 here: storage comes in through the dal objects."""
