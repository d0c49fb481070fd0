"""Each function's environment (set in template.yaml), parsed once at cold start."""

from pydantic import BaseModel, ConfigDict, Field


class UsersApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    users_table_name: str = Field(min_length=1)
    email_claims_table_name: str = Field(min_length=1)


class MailerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    sender_email: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=1)
