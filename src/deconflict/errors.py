"""Every error deconflict raises on purpose, in one place.

Cores raise these; the outer layers translate them once (HTTP problem bodies, CLI messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Conflict",
    "DeconflictError",
    "FieldError",
    "Forbidden",
    "IdempotencyMismatch",
    "InvalidInput",
    "NotFound",
    "Unauthorized",
    "Unavailable",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: a JSON pointer (RFC 6901) into the input, and what is wrong with it."""

    pointer: str
    detail: str

    def under(self, prefix: str) -> FieldError:
        """The same error, seen from a containing document at `prefix`."""
        return FieldError(prefix.rstrip("/") + self.pointer, self.detail)


class DeconflictError(Exception):
    """Base of all deliberate errors."""

    title = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DeconflictError):
    """Input that breaks a rule: bad geometry, times, units or references."""

    title = "Invalid input"

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.errors = tuple(errors)

    @classmethod
    def at(cls, pointer: str, detail: str) -> InvalidInput:
        """A single-field error."""
        return cls(detail, [FieldError(pointer, detail)])

    def under(self, prefix: str) -> InvalidInput:
        """The same error with every pointer prefixed, for nested documents."""
        return InvalidInput(self.detail, [e.under(prefix) for e in self.errors])


class IdempotencyMismatch(InvalidInput):
    """An Idempotency-Key reused with a different request body."""


class NotFound(DeconflictError):
    """The thing does not exist, or the caller may not know that it does."""

    title = "Not found"


class Conflict(DeconflictError):
    """The request clashes with the current state (acknowledged twice, amending a cancelled)."""

    title = "Conflict"

    def __init__(self, detail: str, **facts: object) -> None:
        super().__init__(detail)
        self.facts = facts


class Unauthorized(DeconflictError):
    """No valid credentials."""

    title = "Unauthorized"


class Forbidden(DeconflictError):
    """Valid credentials that do not allow this action."""

    title = "Forbidden"


class Unavailable(DeconflictError):
    """Something the service needs (its database) is out of reach for now: ask again after
    `retry_after_s`."""

    title = "Service unavailable"

    def __init__(self, detail: str, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
