"""A party's witness: check the log's latest checkpoint, then co-sign it, or refuse and keep the
evidence.

One round (`Witness.run_once`):

1. fetch `/log/checkpoint` and verify the log's signature with the pinned log key;
2. a tree smaller than the one this witness co-signed last, or the same size with another root,
   is a split view;
3. audit the new leaves as CT monitors do (RFC 9162 §2.1, transparency-dev compact ranges): fetch
   the leaf hashes [old size, new size) from `/log/leaves` in pages, append them to the compact
   range kept at the old size, and require the checkpoint's root. That one comparison proves
   every new leaf is in the new tree at its index and that the new tree extends the co-signed
   one, in O(new leaves) hashing and a few HTTP calls instead of one proof per entry. On the way,
   each entry that concerns the party (`/log/entries`) must hash to the leaf at its index. If the
   root differs, a consistency proof decides whether the log equivocated (a split view) or only
   served leaves that are not its tree's;
4. fetch every other party's newest co-signed checkpoint and check it is consistent with this
   view by a consistency proof: two log-signed checkpoints that cannot both be prefixes of one
   tree are a split view;
5. only then co-sign (a C2SP tlog-cosignature with this machine's clock) and remember it with the
   new compact range.

A witness with no state fetches every leaf hash from 0 (they are public: entries are salted).
A split view is kept as evidence (both signed checkpoints) in the state directory and reported
as an ALERT, and the witness never co-signs the inconsistent branch. It speaks HTTP through an
injected `httpx.Client` (base URL and bearer token set by the caller), never the service itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from deconflict.clock import Clock, SystemClock
from deconflict.errors import DeconflictError
from deconflict.log import (
    Checkpoint,
    CompactRange,
    CosignatureVerifier,
    Cosigner,
    Ed25519Verifier,
    add_cosignatures,
    leaf_hash,
    open_checkpoint,
    parse_entry,
    verify_consistency,
)
from deconflict.witness.errors import WitnessError
from deconflict.witness.state import StateDir, WitnessState

__all__ = ["Alert", "Outcome", "Witness"]

log = logging.getLogger("deconflict.witness")
_ENTRY_PAGE = 10_000
_LEAF_PAGE = 10_000
"""Leaf hashes per `/log/leaves` call: the most the API serves at once."""


class _UnprovableError(WitnessError):
    """The service refused a request as invalid (422), e.g. a proof for a size it says it lacks."""


@dataclass(frozen=True, slots=True)
class Alert:
    """Something the log must not do, and where its evidence was kept.

    `kind` is "split-view" (two signed checkpoints that cannot both be true), "bad-entry" (an
    entry shown to the party that the checkpoint does not hold) or "bad-leaves" (leaf hashes
    served that do not give the signed root, while the log's checkpoints agree)."""

    kind: str
    detail: str
    evidence: Path | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one round did: the size of the checkpoint it saw (None if none is published yet),
    whether it co-signed it, how many entries that concern the party it checked, how many leaf
    hashes it folded into its compact range, and any alerts."""

    size: int | None
    cosigned: bool
    entries_checked: int = 0
    alerts: tuple[Alert, ...] = ()
    leaves_audited: int = 0

    @property
    def ok(self) -> bool:
        return not self.alerts


@dataclass(frozen=True, slots=True)
class _Audit:
    """What auditing the new leaves found: the compact range to keep if nothing is wrong."""

    compact_range: CompactRange
    checked: int = 0
    leaves_audited: int = 0
    alerts: tuple[Alert, ...] = ()


_BadEntry = tuple[int, bytes, str, str]
"""An entry whose hash is not the leaf at its index: index, bytes, claimed hash, what is wrong."""


class Witness:
    """The witness of party `party_id`, co-signing with `cosigner` (whose key name must be the
    party id: the service looks the key up by it)."""

    def __init__(
        self,
        client: httpx.Client,
        party_id: str,
        cosigner: Cosigner,
        state_dir: Path,
        log_vkey: str | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if cosigner.name != party_id:
            raise WitnessError(f"the cosigning key is named {cosigner.name!r}, not {party_id!r}")
        self._client = client
        self.party_id = party_id
        self._cosigner = cosigner
        self.state = StateDir(state_dir)
        self._log_vkey = log_vkey.strip() if log_vkey else None
        self._clock = clock or SystemClock()

    def run(self, interval_s: float, stop: threading.Event) -> None:
        """Run a round every `interval_s` until `stop` is set; failed rounds are logged, retried."""
        while True:
            try:
                outcome = self.run_once()
            except DeconflictError as exc:
                log.warning("witness round failed: %s", exc.detail)
            else:
                if outcome.cosigned:
                    log.info(
                        "co-signed size %s (%d entries checked)",
                        outcome.size,
                        outcome.entries_checked,
                    )
            if stop.wait(interval_s):
                return

    def run_once(self) -> Outcome:
        """One round; alerts are returned (and logged), failures raise `WitnessError`."""
        try:
            return self._round()
        except (KeyError, TypeError, ValueError) as exc:
            raise WitnessError(f"unexpected answer from the service: {exc!r}") from None

    def _round(self) -> Outcome:
        state = self.state.load()
        verifier = self._log_verifier(state)
        response = self._request("GET", "/log/checkpoint", missing_ok=True)
        if response is None:
            return Outcome(None, False)
        note = response.text
        try:
            checkpoint = open_checkpoint(note, verifier, origin=verifier.name).checkpoint
        except DeconflictError as exc:
            raise WitnessError(
                f"the latest checkpoint does not verify under {verifier.vkey()}: {exc.detail}"
            ) from None
        alerts = self._check_history(state, note, checkpoint)
        audit = _Audit(state.compact_range or CompactRange())
        if not alerts:
            audit = self._audit(state, note, checkpoint)
            alerts = list(audit.alerts)
        if not alerts:
            alerts = self._cross_check(verifier, note, checkpoint)
        for alert in alerts:
            log.error("ALERT %s: %s (evidence: %s)", alert.kind, alert.detail, alert.evidence)
        if alerts:
            return Outcome(
                checkpoint.size, False, audit.checked, tuple(alerts), audit.leaves_audited
            )
        cosignature = self._cosigner.cosign(checkpoint, self._clock.now())
        self._request(
            "POST",
            "/log/cosignatures",
            json={"size": checkpoint.size, "cosignature": cosignature.line()},
        )
        self.state.save(
            WitnessState(
                verifier.vkey(),
                add_cosignatures(note, [cosignature]),
                checkpoint.size,
                checkpoint.root,
                audit.compact_range,
            )
        )
        return Outcome(checkpoint.size, True, audit.checked, (), audit.leaves_audited)

    # --- the checks ------------------------------------------------------------------------

    def _log_verifier(self, state: WitnessState) -> Ed25519Verifier:
        """The log key given, or pinned in the state, or (first run only) fetched and pinned."""
        vkey = self._log_vkey or state.log_vkey
        if vkey is None:
            vkey = self._request("GET", "/log/key").text.strip()
            log.warning("pinning the log key %s on first use", vkey)
        try:
            verifier = Ed25519Verifier.from_vkey(vkey)
        except DeconflictError as exc:
            raise WitnessError(f"log key {vkey!r}: {exc.detail}") from None
        if state.log_vkey is None:
            self.state.save(replace(state, log_vkey=verifier.vkey()))
        elif Ed25519Verifier.from_vkey(state.log_vkey) != verifier:
            raise WitnessError(
                f"the log key given ({verifier.vkey()}) is not the one this state pinned "
                f"({state.log_vkey}); use another state directory for another log"
            )
        return verifier

    def _check_history(self, state: WitnessState, note: str, new: Checkpoint) -> list[Alert]:
        """The new checkpoint may not shrink the tree co-signed last, nor change its root; a
        larger one is checked by the audit."""
        if state.checkpoint is None:
            return []
        if new.size < state.size:
            problem = f"size {new.size} is smaller than {state.size}"
        elif new.size == state.size and new.root != state.root:
            problem = "same size, different root"
        else:
            return []
        return [self._history_split(state.checkpoint, state.size, note, new, problem)]

    def _history_split(
        self, cosigned: str, cosigned_size: int, note: str, new: Checkpoint, problem: str
    ) -> Alert:
        detail = (
            f"the log's checkpoint of size {new.size} is inconsistent with size {cosigned_size} "
            f"that {self.party_id} co-signed before: {problem}"
        )
        return self._split_view(cosigned, note, detail)

    def _audit(self, state: WitnessState, note: str, checkpoint: Checkpoint) -> _Audit:
        """Grow the compact range co-signed last to the checkpoint's size from the published
        leaf hashes, checking the party's entries on the way; the range must give the root."""
        base = state.compact_range
        if base is None:
            base = CompactRange()
            if state.checkpoint is not None:
                rebuilt, _, _ = self._extend(base, state.size, entries=False)
                if rebuilt.root() != state.root:
                    return self._leaves_problem(state, note, checkpoint, rebuilt, state.root)
                base = rebuilt
        grown, checked, bad = self._extend(base, checkpoint.size, entries=True)
        audited = grown.size - base.size
        if grown.root() != checkpoint.root:
            return replace(
                self._leaves_problem(state, note, checkpoint, grown, checkpoint.root),
                leaves_audited=audited,
            )
        if bad is not None:
            index, raw, claimed, problem = bad
            detail = f"entry {index} is not in the checkpoint of size {checkpoint.size}: {problem}"
            record = json.dumps(
                {"index": index, "entry": base64.b64encode(raw).decode(), "leaf": claimed}
            )
            folder = self.state.keep_evidence("bad-entry", note, record, detail)
            return _Audit(base, checked, audited, (Alert("bad-entry", detail, folder),))
        return _Audit(grown, checked, audited)

    def _leaves_problem(
        self,
        state: WitnessState,
        note: str,
        checkpoint: Checkpoint,
        grown: CompactRange,
        want: bytes,
    ) -> _Audit:
        """The leaf hashes do not give the signed root `want`: a split view if the log cannot
        prove the checkpoint extends the one co-signed last, else leaves served wrongly."""
        found = (
            f"the leaf hashes served for [0, {grown.size}) give root "
            f"{grown.root().hex()}, not the signed {want.hex()}"
        )
        if state.checkpoint is not None:
            problem = self._inconsistency(state.size, state.root, checkpoint.size, checkpoint.root)
            if problem is not None:
                split = self._history_split(
                    state.checkpoint, state.size, note, checkpoint, f"{problem}; and {found}"
                )
                return _Audit(CompactRange(), alerts=(split,))
        detail = f"the checkpoint of size {checkpoint.size} cannot be audited: {found}"
        record = json.dumps({"size": grown.size, "root": base64.b64encode(grown.root()).decode()})
        folder = self.state.keep_evidence("bad-leaves", note, record, detail)
        return _Audit(CompactRange(), alerts=(Alert("bad-leaves", detail, folder),))

    def _extend(
        self, base: CompactRange, size: int, *, entries: bool
    ) -> tuple[CompactRange, int, _BadEntry | None]:
        """`base` grown by the published leaf hashes up to `size`; with `entries`, how many
        entries that concern the party it compared with their leaves, and the first that differs.
        Nothing is proven until the grown range's root is compared with a signed one."""
        pending = self._entries(base.size, size) if entries else iter(())
        entry = next(pending, None)
        grown, checked, bad = base, 0, None
        for start, hashes in self._leaf_pages(base.size, size):
            grown = grown.append(hashes)
            while entry is not None and entry[0] < start + len(hashes):
                index, raw, claimed = entry
                problem = _entry_problem(raw, claimed, hashes[index - start])
                if problem is not None and bad is None:
                    bad = (index, raw, claimed, problem)
                checked += 1
                entry = next(pending, None)
        return grown, checked, bad

    def _inconsistency(
        self, old_size: int, old_root: bytes, new_size: int, new_root: bytes
    ) -> str | None:
        """Why a tree of (old_size, old_root) cannot be a prefix of (new_size, new_root); None if
        the service proves it is."""
        if new_size < old_size:
            return f"size {new_size} is smaller than {old_size}"
        if new_size == old_size:
            return None if new_root == old_root else "same size, different root"
        try:
            proof = self._hashes(
                self._request(
                    "GET", "/log/proof/consistency", params={"old": old_size, "new": new_size}
                )
            )
            verify_consistency(old_size, new_size, old_root, new_root, proof)
        except _UnprovableError as exc:
            return f"the service refuses to prove consistency: {exc.detail}"
        except DeconflictError as exc:
            if isinstance(exc, WitnessError):
                raise
            return f"consistency proof fails: {exc.detail}"
        return None

    def _entries(self, start: int, size: int) -> Iterator[tuple[int, bytes, str]]:
        """The entries that concern the party in [start, size), in strictly increasing order."""
        cursor = start
        while cursor < size:
            page = self._request(
                "GET", "/log/entries", params={"start": cursor, "limit": _ENTRY_PAGE}
            ).json()
            for item in page["items"]:
                index = int(item["index"])
                if index >= size:
                    return
                if index < cursor:
                    raise WitnessError(f"the service sent entry {index} after asking from {cursor}")
                yield index, _b64(item["entry"]), str(item["leaf_hash"])
                cursor = index + 1
            if page.get("next_start") is None:
                return
            if int(page["next_start"]) < cursor:
                raise WitnessError(f"the service sent next_start {page['next_start']} < {cursor}")
            cursor = int(page["next_start"])

    def _leaf_pages(self, start: int, end: int) -> Iterator[tuple[int, list[bytes]]]:
        """The published leaf hashes [start, end), as (first index, hashes) pages."""
        for lo in range(start, end, _LEAF_PAGE):
            hi = min(lo + _LEAF_PAGE, end)
            page = self._request("GET", "/log/leaves", params={"start": lo, "end": hi}).json()
            hashes = [_hex32(h) for h in page["hashes"]]
            if len(hashes) != hi - lo:
                raise WitnessError(f"asked for leaves [{lo}, {hi}), the service sent {len(hashes)}")
            yield lo, hashes

    def _cross_check(self, verifier: Ed25519Verifier, note: str, ours: Checkpoint) -> list[Alert]:
        """Every other party's newest co-signed checkpoint must be consistent with ours."""
        alerts = []
        for party, keys in self._peers():
            response = self._request("GET", f"/log/cosigned/{party}", missing_ok=True)
            if response is None:
                continue
            try:
                opened = open_checkpoint(response.text, verifier, keys, origin=verifier.name)
            except DeconflictError as exc:
                log.warning("%s's co-signed checkpoint does not verify: %s", party, exc.detail)
                continue
            if not any(c.name == party for c in opened.cosignatures):
                log.warning("the checkpoint served as %s's carries no cosignature by it", party)
                continue
            theirs = opened.checkpoint
            if theirs.size <= ours.size:
                problem = self._inconsistency(theirs.size, theirs.root, ours.size, ours.root)
            else:
                problem = self._inconsistency(ours.size, ours.root, theirs.size, theirs.root)
            if problem is not None:
                detail = (
                    f"{party} co-signed size {theirs.size}, inconsistent with size {ours.size} "
                    f"shown to {self.party_id}: {problem}"
                )
                alerts.append(self._split_view(note, response.text, detail))
        return alerts

    def _peers(self) -> list[tuple[str, list[CosignatureVerifier]]]:
        """The other parties and their co-signing keys, as the service lists them."""
        peers = []
        for party in self._request("GET", "/parties").json()["items"]:
            if party["id"] == self.party_id:
                continue
            keys = [
                CosignatureVerifier(party["id"], _b64(k["key_b64"]))
                for k in party["keys"]
                if k["purpose"] == "cosign"
            ]
            if keys:
                peers.append((str(party["id"]), keys))
        return peers

    def _split_view(self, ours: str, theirs: str, detail: str) -> Alert:
        folder = self.state.keep_evidence("split-view", ours, theirs, detail)
        return Alert("split-view", detail, folder)

    # --- HTTP -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, int] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        try:
            response = self._client.request(method, path, params=params, json=json)
        except httpx.HTTPError as exc:
            raise WitnessError(f"{method} {path}: cannot reach the service: {exc}") from None
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail", response.text[:200]))
            except ValueError:
                detail = response.text[:200]
            error = _UnprovableError if response.status_code == 422 else WitnessError
            raise error(f"{method} {path}: HTTP {response.status_code}: {detail}")
        return response

    @staticmethod
    def _hashes(response: httpx.Response) -> list[bytes]:
        return [_b64(h) for h in response.json()["hashes"]]


def _entry_problem(raw: bytes, claimed: str, leaf: bytes) -> str | None:
    """Why an entry is not the leaf `leaf` published at its index; None if it is."""
    digest = leaf_hash(raw)
    if digest != leaf or digest.hex() != claimed:
        return f"its hash {digest.hex()} is not the leaf hash {leaf.hex()} published at its index"
    try:
        parse_entry(raw)
    except DeconflictError as exc:
        return exc.detail
    return None


def _hex32(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise WitnessError(f"the service sent {str(text)[:80]!r}, which is not a hex leaf hash")
    return raw


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise WitnessError(f"the service sent {text[:40]!r}, which is not base64") from None
