"""Use cases of the deconfliction mechanism; the only layer that combines storage, cores and time.

The contract the outer layers call is described in `contract.md` beside this file.
"""

from deconflict.errors import IdempotencyMismatch
from deconflict.service.ledger import LogProblem
from deconflict.service.service import Service
from deconflict.service.status import StatusSnapshot, WitnessLag
from deconflict.service.visibility import ADMIN, Caller
from deconflict.storage.database import default_database_url

__all__ = [
    "ADMIN",
    "Caller",
    "IdempotencyMismatch",
    "LogProblem",
    "Service",
    "StatusSnapshot",
    "WitnessLag",
    "default_database_url",
]
