"""Named errors of the users service.

The API maps them to HTTP statuses; in the mailer an error fails only its own stream record.
"""


class UserServiceError(Exception):
    """Base class of the users service's own errors."""


class UserNotFound(UserServiceError):
    """No user has this id."""


class EmailAlreadyInUse(UserServiceError):
    """Another user holds (has claimed) this email address."""


class ConcurrentUpdate(UserServiceError):
    """The user changed, or a transaction on the same items ran, while this write was in flight."""


class InvalidCursor(UserServiceError):
    """A pagination cursor that this service did not issue (or that was altered)."""


class EmailClaimMismatch(UserServiceError):
    """The claim of a user's current email belongs to another user: a data-integrity problem."""


class IncompleteUserImage(UserServiceError):
    """A stream record's user image lacks a field the mail needs (userId, email or name)."""


class MailNotSent(UserServiceError):
    """SES refused the message (the error code is kept; the address is never put in the message)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"SES refused the message: {code}")
        self.code = code
