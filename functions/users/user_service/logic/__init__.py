"""Business rules of the users service; no AWS SDK here."""
