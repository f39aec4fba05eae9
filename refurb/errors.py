"""Domain errors raised by service functions.

Views turn them into a flash message or an error page, the API into
``{"error": {"code", "message"}}`` with the status carried here.
"""

from __future__ import annotations


class RefurbError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(RefurbError):
    status = 404
    code = "not_found"


class Forbidden(RefurbError):
    status = 403
    code = "forbidden"


class Conflict(RefurbError):
    """The request does not fit the current state (a transition not allowed, a device on loan…)."""

    status = 409
    code = "conflict"


class Invalid(RefurbError):
    """Invalid input; ``fields`` maps a field name to its French message."""

    status = 422
    code = "invalid"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None, code: str | None = None):
        fields = fields or {}
        if message is None:
            message = "Certaines informations sont à corriger : " + " ; ".join(fields.values())
        super().__init__(message, code=code, fields=fields)


class Unauthorized(RefurbError):
    status = 401
    code = "unauthorized"


class TooManyAttempts(RefurbError):
    status = 429
    code = "too_many_attempts"
