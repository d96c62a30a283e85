"""Errors of the core. Messages are in Chinese: a clerk reads them.

Each error carries the data it is about; `adapters.http` maps the classes to HTTP
statuses in one table.
"""
from __future__ import annotations


class XsflowError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(XsflowError):
    code = "bad_request"


class NotAuthenticated(XsflowError):
    code = "not_authenticated"


class Forbidden(XsflowError):
    code = "forbidden"


class NotFound(XsflowError):
    code = "not_found"


class TriggerNotAllowed(XsflowError):
    """The trigger cannot be fired from the case's current state (or its guard refused)."""

    code = "trigger_not_allowed"


class VersionConflict(XsflowError):
    code = "version_conflict"


class IdempotencyConflict(XsflowError):
    code = "idempotency_key_reused"


class InvalidPayload(XsflowError):
    """Field-by-field problems: `fields` maps a field name to its messages."""

    code = "invalid_payload"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class DefinitionError(XsflowError):
    """A procedure definition is inconsistent; `problems` lists every problem found."""

    code = "definition_error"

    def __init__(self, name: str, problems: list[str]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"procedure {name!r} has {len(problems)} problem(s):\n{lines}")
        self.problems = problems


class CalendarNotLoaded(XsflowError):
    code = "calendar_not_loaded"


# The one table from error to HTTP status (contract.md, "Errors").
HTTP_STATUS: dict[type[XsflowError], int] = {
    BadRequest: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    TriggerNotAllowed: 409,
    VersionConflict: 409,
    CalendarNotLoaded: 409,
    IdempotencyConflict: 422,
    InvalidPayload: 422,
}


def http_status(err: XsflowError) -> int:
    for cls in type(err).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]  # type: ignore[index]
    return 500
