"""Timezone-aware UTC time in one place (never datetime.utcnow())."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """ISO-8601 with milliseconds and a Z suffix; sorts lexicographically in DynamoDB."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
