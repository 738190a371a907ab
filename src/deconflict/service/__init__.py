"""Use cases of the deconfliction mechanism; the only layer that combines storage, cores and time.

The contract the outer layers call is described in `contract.md` beside this file.
"""

from deconflict.errors import IdempotencyMismatch
from deconflict.service.ledger import LogProblem
from deconflict.service.service import Service
from deconflict.service.status import StatusSnapshot, WitnessLag
from deconflict.service.visibility import ADMIN, Caller
from deconflict.storage.backup import (
    BackupError,
    BackupSummary,
    BackupWriteError,
    backup_sqlite,
    restore_sqlite,
)
from deconflict.storage.database import database_file, default_database_url

__all__ = [
    "ADMIN",
    "BackupError",
    "BackupSummary",
    "BackupWriteError",
    "Caller",
    "IdempotencyMismatch",
    "LogProblem",
    "Service",
    "StatusSnapshot",
    "WitnessLag",
    "backup_sqlite",
    "database_file",
    "default_database_url",
    "restore_sqlite",
]
