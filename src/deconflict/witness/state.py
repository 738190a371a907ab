"""A witness's memory on disk: the log key it trusts, the last checkpoint it co-signed, the
compact range of the tree it verified (the O(log n) hashes that let it check the next checkpoint
from the new leaf hashes alone), and the evidence of every split view it has seen.

`state.json` is replaced atomically (write, fsync, rename), so a crash leaves either the old or
the new state, never half of one. Evidence goes in `evidence/<kind>-<digest>/`: the two signed
checkpoints that cannot both be true (`ours.note`, `theirs.note`) and what was found
(`detail.txt`). The digest is of both notes, so seeing the same split view again adds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from deconflict.errors import DeconflictError
from deconflict.log import CompactRange
from deconflict.witness.errors import WitnessStateError

__all__ = ["StateDir", "WitnessState"]

_STATE = "state.json"
_EVIDENCE = "evidence"


@dataclass(frozen=True, slots=True)
class WitnessState:
    """What the witness remembers between rounds. `checkpoint` is the signed note it last
    co-signed (with its cosignature), None before the first; `compact_range` is the border of
    the tree of `size` leaves it verified, whose root is `root`. The entries that concern the
    party were checked up to `size`. A state saved before compact ranges has none; the witness
    rebuilds it from the leaf hashes."""

    log_vkey: str | None = None
    checkpoint: str | None = None
    size: int = 0
    root: bytes = b""
    compact_range: CompactRange | None = None


class StateDir:
    """The directory that holds one witness's state and evidence."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> WitnessState:
        """The saved state, or an empty one if the directory holds none yet."""
        try:
            text = (self.path / _STATE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return WitnessState()
        except OSError as exc:
            raise WitnessStateError(f"cannot read {self.path / _STATE}: {exc}") from None
        try:
            doc = json.loads(text)
            compact = doc.get("compact_range")
            state = WitnessState(
                log_vkey=doc["log_vkey"],
                checkpoint=doc["checkpoint"],
                size=int(doc["size"]),
                root=base64.b64decode(doc["root"], validate=True),
                compact_range=None if compact is None else CompactRange.from_json(compact),
            )
        except (ValueError, KeyError, TypeError, AttributeError, DeconflictError) as exc:
            raise WitnessStateError(f"{self.path / _STATE} is not a witness state: {exc}") from None
        kept = state.compact_range
        if kept is not None and (kept.size, kept.root()) != (state.size, state.root):
            raise WitnessStateError(
                f"{self.path / _STATE}: the compact range of size {kept.size} does not give "
                f"the root co-signed at size {state.size}"
            )
        return state

    def save(self, state: WitnessState) -> None:
        compact = state.compact_range
        doc = {
            "log_vkey": state.log_vkey,
            "checkpoint": state.checkpoint,
            "size": state.size,
            "root": base64.b64encode(state.root).decode(),
            "compact_range": None if compact is None else compact.to_json(),
        }
        self._write(self.path / _STATE, json.dumps(doc, indent=2) + "\n")

    def keep_evidence(self, kind: str, ours: str, theirs: str, detail: str) -> Path:
        """Store two conflicting signed checkpoints and what was found; the evidence directory."""
        digest = hashlib.sha256(f"{ours}\x00{theirs}".encode()).hexdigest()[:16]
        folder = self.path / _EVIDENCE / f"{kind}-{digest}"
        for name, text in (("ours.note", ours), ("theirs.note", theirs), ("detail.txt", detail)):
            self._write(folder / name, text if text.endswith("\n") else text + "\n")
        return folder

    def evidence(self) -> list[Path]:
        """Every evidence directory kept so far, oldest name first."""
        root = self.path / _EVIDENCE
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    @staticmethod
    def _write(path: Path, text: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            with tmp.open("w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(path)
        except OSError as exc:
            raise WitnessStateError(f"cannot write {path}: {exc}") from None
