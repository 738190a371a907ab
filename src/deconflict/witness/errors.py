"""The witness's errors: a round that could not be completed, and a state directory it cannot use.

Neither is an alert: an alert is something the log must not do, reported with its evidence; an
error means the witness could not decide, so it co-signed nothing.
"""

from __future__ import annotations

from deconflict.errors import DeconflictError

__all__ = ["WitnessError", "WitnessStateError"]


class WitnessError(DeconflictError):
    """A round that could not be completed: the service unreachable or refusing, or a checkpoint
    that the pinned log key does not verify. Nothing was co-signed."""

    title = "Witness round failed"


class WitnessStateError(DeconflictError):
    """A state directory that cannot be read or written, or holds something else."""

    title = "Unusable witness state"
