"""The log's self-check (`Ledger.verify`, `deconflict log verify`): every stored column of the
log tables against the entries, the signed checkpoints and the cosignatures.

Checked, table by table:

- `log_entries`: `entry` hashes to `leaf_hash`; the indices run 0, 1, … without a gap up to the
  head's size; `entry` is a canonical entry of a known fact type, and `type`, `notice_id`,
  `version` and `created_at` are its type, the notice version its fact type files it under
  (`Fact.filed_under_body`) and its `received_at`.
- `log_head`: one row, id 1, whose size is the number of entries.
- `log_nodes`: exactly the complete subtrees of the entries, each with its recomputed hash.
- `checkpoints`: each note is exactly as the log signed it (its text and one signature line, by
  the log's key for its origin); its size is the row's and its root the entries' root at that
  size.
- `cosignatures`: the latest and the first line are each a canonical cosignature line by the
  row's party that verifies over the row's checkpoint under a co-signing key the log registered
  for that party (its `party.key` entries); `timestamp` and `first_timestamp` are the lines' own
  times, the first no later than the latest.
- `log_entry_parties`: no row names an entry that is not stored, and each entry is readable by
  exactly its fact's audience, replayed from the log: the parties the entry names
  (`Fact.named_readers`); for an entry filed under a notice, the notice's originator (the party of
  its `notice.version` entries); for a `notice.version` entry, the parties the disclosure
  entries of that version name; for `expired`, every party any version was disclosed to before
  it; for a hazard, the members of the agreement's latest version logged before it; for
  `track.history`, every party logged before it.

Not checked, and why:

- `cosignatures.received_at` and `first_received_at` are the service's own receive times, which
  nobody signs. Only the rule that accepted them is checked (within `MAX_COSIGNATURE_SKEW` of
  the line's timestamp), so a change smaller than that passes.
- `checkpoints.created_at` is the service's signing time. A C2SP checkpoint carries no time, so
  nothing in the log bounds it; it only decides when the next checkpoint is due.
- The readers of a protected area or an aircraft declaration: its owner must be one and every
  other one must have shared an agreement version with the owner before the entry, but an
  agreement committing concurrently on PostgreSQL may or may not have been seen, so a partner
  missing from them passes.
- A value SQLite holds that its column's type cannot read back (a date that does not parse)
  stops the check with that error instead of a located problem.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from deconflict.domain import KeyPurpose
from deconflict.domain.facts import (
    FACTS,
    AgreementVersioned,
    AircraftDeclared,
    AreaAdded,
    AreaRemoved,
    Disclosed,
    Expired,
    Fact,
    HazardAdded,
    HazardRemoved,
    KeyAdded,
    PartyAdded,
    Published,
    TrackHistoryCommitted,
)
from deconflict.errors import DeconflictError
from deconflict.log import (
    Checkpoint,
    Cosignature,
    CosignatureVerifier,
    Ed25519Verifier,
    LogEntry,
    MemoryNodeStore,
    MerkleTree,
    leaf_hash,
    open_checkpoint,
    parse_entry,
    parse_signature_line,
    verify_cosignature,
)
from deconflict.storage.checkpoints import CosignatureRow
from deconflict.storage.log_entries import StoredEntry
from deconflict.storage.repositories import Repositories

__all__ = ["MAX_COSIGNATURE_SKEW", "LogProblem", "check_log"]

MAX_COSIGNATURE_SKEW = timedelta(minutes=5)
"""How far a cosignature's timestamp may be from the service clock when it is accepted."""
VERIFY_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class LogProblem:
    """One thing `verify_log` found wrong, located by leaf index, node or checkpoint size."""

    where: str
    detail: str


def check_log(
    repos: Repositories,
    log: Ed25519Verifier,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[LogProblem]:
    """Every problem with the stored log, located; none for an intact one.

    `progress`, if given, is called with (entries checked, entries expected): the head's size,
    or as many as are stored if that is more; with 0 first, then after each entry. The nodes,
    checkpoints and cosignatures checked after the entries take a few percent of the time."""
    problems: list[LogProblem] = []
    head = _head_size(repos.entries.head_rows(), problems)
    entries = _Entries(head, problems)
    entries.check(repos.entries.scan(), repos.entries.reader_rows(), progress)
    _check_nodes(repos.entries.nodes(), entries.tree, problems)
    checkpoints = _check_checkpoints(repos.checkpoints.all(), log, entries.tree, problems)
    for row in repos.checkpoints.cosignatures():
        _check_cosignatures(row, checkpoints, entries.cosigning_keys, problems)
    return problems


def _head_size(rows: list[tuple[int, int]], problems: list[LogProblem]) -> int:
    sizes = [size for head_id, size in rows if head_id == 1]
    problems.extend(
        LogProblem("log head", f"unexpected row with id {head_id}")
        for head_id, _ in rows
        if head_id != 1
    )
    return sizes[0] if sizes else 0


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


class _Entries:
    """One pass over the entries in index order: the tree they make, their columns, their
    readers, and the co-signing keys they register."""

    def __init__(self, head: int, problems: list[LogProblem]) -> None:
        self.tree = MerkleTree(MemoryNodeStore())
        self.cosigning_keys: dict[str, list[CosignatureVerifier]] = {}
        self._head = head
        self._problems = problems
        self._expected = 0
        self._batch: list[bytes] = []
        self._audiences = _Audiences(problems)
        self._heads: dict[str, str] = {}
        """Each notice's chain head: the leaf hash (hex) of the last entry filed under it."""

    def check(
        self,
        rows: Iterable[StoredEntry],
        readers: Iterable[tuple[int, str]],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        pending = _ReaderRows(iter(readers), self._problems)
        if progress is not None:
            progress(0, self._head)
        for done, row in enumerate(rows, 1):
            self._entry(row, pending.take(row.idx))
            if progress is not None:
                progress(done, max(done, self._head))
        pending.finish()
        self.tree.append(self._batch)
        self._batch = []
        if self._expected < self._head:
            self._problems.append(LogProblem(_span(self._expected, self._head - 1), "missing"))
        if self._expected != self._head:
            self._problems.append(
                LogProblem("log", f"{self._expected} entries stored, head says {self._head}")
            )
        self._audiences.finish()

    def _in_sequence(self, idx: int) -> bool:
        """Whether the entry at `idx` takes the next leaf; a gap before it is reported."""
        if idx < self._expected or (idx > self._expected and idx >= self._head):
            detail = "index out of range" if idx < 0 else f"beyond the head's size {self._head}"
            self._problems.append(LogProblem(f"entry {idx}", detail))
            return False
        if idx > self._expected:
            self._problems.append(LogProblem(_span(self._expected, idx - 1), "missing"))
        self._expected = idx + 1
        return True

    def _entry(self, row: StoredEntry, readers: frozenset[str]) -> None:
        computed = leaf_hash(row.entry)
        if self._in_sequence(row.idx):
            self._batch.append(computed)
            if len(self._batch) == VERIFY_BATCH:
                self.tree.append(self._batch)
                self._batch = []
        where = f"entry {row.idx}"
        if computed != row.leaf_hash:
            self._problems.append(LogProblem(where, "content does not match its leaf hash"))
            return
        try:
            entry = parse_entry(row.entry)
        except DeconflictError as exc:
            self._problems.append(LogProblem(where, f"not a canonical log entry: {exc.detail}"))
            return
        fact = FACTS.get(entry.type)
        self._columns(row, entry, fact)
        if fact is None:
            self._problems.append(LogProblem(where, f"unknown entry type {entry.type!r}"))
            return
        self._chain(row.idx, entry, fact, computed.hex())
        self._audiences.check(row.idx, entry, fact, readers)
        if entry.type == KeyAdded.entry_type:
            self._register_key(entry)

    def _columns(self, row: StoredEntry, entry: LogEntry, fact: type[Fact] | None) -> None:
        """The index columns must say what the entry says."""
        found: list[tuple[str, object, object]] = [("type", row.type, entry.type)]
        if fact is not None:
            notice_id, version = fact.filed_under_body(entry.body)
            found += [("notice_id", row.notice_id, notice_id), ("version", row.version, version)]
        where = f"entry {row.idx}"
        for column, stored, says in found:
            if stored != says:
                detail = f"{column} column is {stored!r}, the entry says {says!r}"
                self._problems.append(LogProblem(where, detail))
        if row.created_at != entry.received_at:
            self._problems.append(
                LogProblem(
                    where,
                    f"created_at column is {_stamp(row.created_at)}, "
                    f"the entry was received at {_stamp(entry.received_at)}",
                )
            )

    def _chain(self, idx: int, entry: LogEntry, fact: type[Fact], leaf: str) -> None:
        """A version 2 entry filed under a notice must follow the notice's last entry."""
        notice_id, _ = fact.filed_under_body(entry.body)
        if notice_id is None:
            return
        head = self._heads.get(notice_id)
        if entry.v >= 2 and entry.prev != head:
            detail = (
                f"prev is {entry.prev}, but the entry before it of notice {notice_id} is {head}"
            )
            self._problems.append(LogProblem(f"entry {idx}", detail))
        self._heads[notice_id] = leaf

    def _register_key(self, entry: LogEntry) -> None:
        body = entry.body
        party, key = body.get("party_id"), body.get("key")
        if body.get("purpose") != KeyPurpose.COSIGN.value or not isinstance(party, str):
            return
        try:
            raw = base64.b64decode(str(key), validate=True)
            verifier = CosignatureVerifier(party, raw)
        except (DeconflictError, ValueError, binascii.Error):
            return
        self.cosigning_keys.setdefault(party, []).append(verifier)


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="microseconds")


class _ReaderRows:
    """The `log_entry_parties` rows, consumed beside the entries (both in index order)."""

    def __init__(self, rows: Iterator[tuple[int, str]], problems: list[LogProblem]) -> None:
        self._rows = rows
        self._next = next(rows, None)
        self._problems = problems

    def take(self, idx: int) -> frozenset[str]:
        """The readers of the entry at `idx`; rows of absent entries before it are reported."""
        found: set[str] = set()
        while self._next is not None and self._next[0] <= idx:
            row_idx, party = self._next
            if row_idx == idx:
                found.add(party)
            else:
                self._orphan(row_idx, party)
            self._next = next(self._rows, None)
        return frozenset(found)

    def finish(self) -> None:
        while self._next is not None:
            self._orphan(*self._next)
            self._next = next(self._rows, None)

    def _orphan(self, idx: int, party: str) -> None:
        self._problems.append(
            LogProblem(f"entry {idx}", f"readable by {party!r}, but no such entry is stored")
        )


class _Audiences:
    """Who may read each entry, replayed from the entries in index order (see the module)."""

    def __init__(self, problems: list[LogProblem]) -> None:
        self._problems = problems
        self._originators: dict[str, str] = {}
        self._disclosed: dict[tuple[str | None, int | None], set[str]] = {}
        self._recipients: dict[str, set[str]] = {}
        self._members: dict[str, frozenset[str]] = {}
        self._partners: dict[str, set[str]] = {}
        self._parties: set[str] = set()
        """Every party added so far."""
        self._published: list[
            tuple[int, frozenset[str], tuple[str | None, int | None], frozenset[str]]
        ] = []
        """(index, named readers, notice version, readers) of each `notice.version` entry."""

    def check(self, idx: int, entry: LogEntry, fact: type[Fact], readers: frozenset[str]) -> None:
        body = entry.body
        named = fact.named_readers(entry.party, body)
        filed = fact.filed_under_body(body)
        notice_id = filed[0]
        if fact is Published:
            # Its readers grow with every disclosure of the version: compared at the end.
            if notice_id is not None and entry.party is not None:
                self._originators.setdefault(notice_id, entry.party)
            self._published.append((idx, named, filed, readers))
            return
        required: frozenset[str] = named
        allowed: frozenset[str] | None = named
        if notice_id is not None:
            originator = self._originators.get(notice_id)
            if fact is Expired:
                required |= self._recipients.get(notice_id, set())
            if originator is None:
                allowed = None
            else:
                required |= {originator}
                allowed = required
            if fact is Disclosed:
                self._disclosed.setdefault(filed, set()).update(named)
                self._recipients.setdefault(notice_id, set()).update(named)
        elif fact is AgreementVersioned:
            agreement_id = body.get("agreement_id")
            if isinstance(agreement_id, str):
                self._members[agreement_id] = named
            for member in named:
                self._partners.setdefault(member, set()).update(named)
        elif fact is HazardAdded or fact is HazardRemoved:
            agreement_id = body.get("agreement_id")
            members = self._members.get(agreement_id) if isinstance(agreement_id, str) else None
            if members is None:
                allowed = None
            else:
                required = allowed = named | members
        elif fact is PartyAdded:
            self._parties.update(named)
        elif fact is TrackHistoryCommitted:
            required = allowed = frozenset(self._parties)
        elif fact is AreaAdded or fact is AreaRemoved or fact is AircraftDeclared:
            owner = body.get("party_id" if fact is AircraftDeclared else "owner")
            partners = self._partners.get(owner) if isinstance(owner, str) else None
            allowed = named | (partners or set())
        self._compare(idx, readers, required, allowed)

    def finish(self) -> None:
        """Each `notice.version` entry is readable by its originator and the parties its
        version was disclosed to, no one else."""
        for idx, named, filed, readers in self._published:
            expected = named | self._disclosed.get(filed, set())
            self._compare(idx, readers, expected, expected)

    def _compare(
        self,
        idx: int,
        readers: frozenset[str],
        required: frozenset[str],
        allowed: frozenset[str] | None,
    ) -> None:
        where = f"entry {idx}"
        for party in sorted(required - readers):
            self._problems.append(LogProblem(where, f"not readable by {party!r}, whom it concerns"))
        if allowed is not None:
            for party in sorted(readers - allowed):
                self._problems.append(
                    LogProblem(where, f"readable by {party!r}, whom it does not concern")
                )


def _check_nodes(
    nodes: Iterable[tuple[int, int, bytes]], tree: MerkleTree, problems: list[LogProblem]
) -> None:
    """The stored nodes must be exactly the complete subtrees of the recomputed tree."""
    size = tree.size()
    levels = size.bit_length()
    following = [0] * levels
    for level, idx, node in nodes:
        if not (0 <= level < levels and 0 <= idx < size >> level):
            problems.append(LogProblem(f"node {level}/{idx}", "beyond the entries"))
            continue
        if idx > following[level]:
            problems.append(_missing_nodes(level, following[level], idx - 1))
        following[level] = idx + 1
        (want,) = tree.store.get_many([(level, idx)])
        if want != node:
            problems.append(LogProblem(f"node {level}/{idx}", "hash differs"))
    for level, first in enumerate(following):
        if first < size >> level:
            problems.append(_missing_nodes(level, first, (size >> level) - 1))


def _missing_nodes(level: int, first: int, last: int) -> LogProblem:
    where = f"node {level}/{first}" if first == last else f"nodes {level}/{first}-{last}"
    return LogProblem(where, "missing")


def _check_checkpoints(
    rows: Iterable[tuple[int, str]],
    log: Ed25519Verifier,
    tree: MerkleTree,
    problems: list[LogProblem],
) -> dict[int, Checkpoint | None]:
    """Each stored checkpoint by size: the checkpoint its note signs, None if it does not."""
    found: dict[int, Checkpoint | None] = {}
    for size, note in rows:
        found[size] = None
        try:
            opened = open_checkpoint(note, log, origin=log.name)
        except (DeconflictError, ValueError) as exc:
            problems.append(LogProblem(f"checkpoint {size}", f"signature: {exc}"))
            continue
        if opened.note.unverified or opened.note.encode() != note:
            # The log signs once and stores the note as signed: the same bytes.
            problems.append(LogProblem(f"checkpoint {size}", "note is not as the log signed it"))
        checkpoint = opened.checkpoint
        if checkpoint.size != size:
            problems.append(LogProblem(f"checkpoint {size}", "size does not match"))
            continue
        found[size] = checkpoint
        if size > tree.size():
            problems.append(LogProblem(f"checkpoint {size}", "size does not match"))
        elif checkpoint.root != tree.root(size):
            problems.append(
                LogProblem(f"checkpoint {size}", "signed root differs from the entries")
            )
    return found


def _check_cosignatures(
    row: CosignatureRow,
    checkpoints: Mapping[int, Checkpoint | None],
    keys: Mapping[str, list[CosignatureVerifier]],
    problems: list[LogProblem],
) -> None:
    """Both kept cosignatures of a row verify over its checkpoint, and its times are theirs."""
    where = f"cosignature {row.size}/{row.party}"
    if row.size not in checkpoints:
        problems.append(LogProblem(where, "no checkpoint of that size is stored"))
    verifiers = keys.get(row.party, [])
    if not verifiers:
        problems.append(LogProblem(where, f"the log registers no co-signing key of {row.party!r}"))
    times = []
    for kind, line, timestamp, received_at in (
        ("latest", row.line, row.timestamp, row.received_at),
        ("first", row.first_line, row.first_timestamp, row.first_received_at),
    ):
        try:
            cosignature = Cosignature.from_note_signature(parse_signature_line(line))
        except (DeconflictError, ValueError) as exc:
            problems.append(LogProblem(where, f"{kind} line is not a cosignature: {exc}"))
            continue
        checkpoint = checkpoints.get(row.size)
        for detail in _line_problems(row.party, line, cosignature, checkpoint, verifiers):
            problems.append(LogProblem(where, f"{kind} line {detail}"))
        try:
            signed_at = cosignature.time
        except (ValueError, OverflowError, OSError):
            problems.append(LogProblem(where, f"{kind} line's time is out of range"))
            continue
        times.append(signed_at)
        if timestamp != signed_at:
            problems.append(
                LogProblem(
                    where,
                    f"{kind} timestamp is {_stamp(timestamp)}, its line says {_stamp(signed_at)}",
                )
            )
        if abs(received_at - signed_at) > MAX_COSIGNATURE_SKEW:
            problems.append(
                LogProblem(
                    where,
                    f"{kind} received at {_stamp(received_at)}, more than "
                    f"{MAX_COSIGNATURE_SKEW} from its line's time {_stamp(signed_at)}",
                )
            )
    if len(times) == 2 and times[1] > times[0]:
        problems.append(LogProblem(where, "the first cosignature is later than the latest"))


def _line_problems(
    party: str,
    line: str,
    cosignature: Cosignature,
    checkpoint: Checkpoint | None,
    verifiers: list[CosignatureVerifier],
) -> Iterator[str]:
    if cosignature.line() != line:
        yield "is not in canonical form"
    if cosignature.name != party:
        yield f"is by {cosignature.name!r}, not the row's party"
    elif checkpoint is not None and verifiers:
        for verifier in verifiers:
            try:
                verify_cosignature(checkpoint, cosignature, verifier)
                return
            except DeconflictError:
                continue
        yield f"does not verify under the co-signing keys of {party!r}"
