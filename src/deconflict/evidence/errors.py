"""The one error of evidence: a proof bundle that does not verify, naming the part that failed."""

from __future__ import annotations

from deconflict.errors import DeconflictError

__all__ = ["BundleError"]


class BundleError(DeconflictError):
    """A bundle that does not verify; `where` names the part that failed."""

    title = "Invalid proof bundle"

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
