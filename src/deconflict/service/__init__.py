"""Use cases of the deconfliction mechanism; the only layer that combines storage, cores and time.

The contract the outer layers call is described in `contract.md` beside this file.
"""

from deconflict.service.base import ADMIN, Caller, IdempotencyMismatch
from deconflict.service.service import Service
from deconflict.storage.database import default_database_url

__all__ = ["ADMIN", "Caller", "IdempotencyMismatch", "Service", "default_database_url"]
