"""The errors of the verifiable record, each carrying the values that failed.

Proof errors follow transparency-dev/merkle's `proof/verify.go`: every precondition is checked
before any hashing, and a root mismatch names the size, the expected and the computed root.
"""

from __future__ import annotations

from deconflict.errors import DeconflictError

__all__ = [
    "HashSizeError",
    "InvalidSignatureError",
    "MalformedCheckpointError",
    "MalformedKeyError",
    "MalformedNoteError",
    "NoteError",
    "ProofError",
    "ProofLengthError",
    "ProofRangeError",
    "RootMismatchError",
    "UnverifiedNoteError",
]


class ProofError(DeconflictError):
    """A Merkle inclusion or consistency proof that does not verify, for whatever reason."""

    title = "Invalid proof"


class ProofRangeError(ProofError):
    """A leaf index or tree size outside its range (negative, index >= size, old > new, old 0)."""

    def __init__(self, detail: str, **values: int) -> None:
        super().__init__(detail)
        self.values = values


class HashSizeError(ProofError):
    """A hash (leaf, root or proof element) that is not 32 bytes long."""

    def __init__(self, what: str, size: int) -> None:
        super().__init__(f"{what} is {size} bytes, want 32")
        self.what = what
        self.size = size


class ProofLengthError(ProofError):
    """A proof with more or fewer hashes than the sizes and index call for."""

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"proof has {got} hashes, want {expected}")
        self.expected = expected
        self.got = got


class RootMismatchError(ProofError):
    """The root a proof leads to is not the root it was checked against."""

    def __init__(self, size: int, expected: bytes, computed: bytes) -> None:
        super().__init__(
            f"root at size {size} mismatched: computed {computed.hex()}, expected {expected.hex()}"
        )
        self.size = size
        self.expected = expected
        self.computed = computed


class NoteError(DeconflictError):
    """A signed note, key or checkpoint that cannot be trusted."""

    title = "Invalid signed note"


class MalformedNoteError(NoteError):
    """Text that is not a well-formed C2SP signed note."""


class MalformedKeyError(NoteError):
    """A verifier key (vkey) or signer key that is not well formed or whose key ID is wrong."""

    def __init__(self, detail: str, key: str) -> None:
        super().__init__(detail)
        self.key = key


class MalformedCheckpointError(NoteError):
    """Note text that is not a C2SP tlog-checkpoint body."""


class InvalidSignatureError(NoteError):
    """A signature by a trusted key that does not verify (the key's name and ID when it has one)."""

    def __init__(self, detail: str, name: str | None = None, key_id: int | None = None) -> None:
        super().__init__(detail)
        self.name = name
        self.key_id = key_id


class UnverifiedNoteError(NoteError):
    """A well-formed note with no valid signature from any trusted key; `note` is what it says,
    the `deconflict.log.note.Note` as parsed (typed `object` so that this module, which `note`
    imports, imports nothing back)."""

    def __init__(self, note: object) -> None:
        super().__init__("note has no verifiable signatures")
        self.note = note
