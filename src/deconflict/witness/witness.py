"""A party's witness: check the log's latest checkpoint, then co-sign it, or refuse and keep the
evidence.

One round (`Witness.run_once`):

1. fetch `/log/checkpoint` and verify the log's signature with the pinned log key;
2. check it is consistent with the last checkpoint this witness co-signed: a smaller tree, a
   different root at the same size or a consistency proof that fails is a split view;
3. fetch the entries that concern the party since the last round and check each one: its leaf
   hash against `/log/leaves`, and its inclusion proof in the new checkpoint;
4. fetch every other party's newest co-signed checkpoint and check it is consistent with this
   view: two log-signed checkpoints that cannot both be prefixes of one tree are a split view;
5. only then co-sign (a C2SP tlog-cosignature with this machine's clock) and remember it.

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
    CosignatureVerifier,
    Cosigner,
    Ed25519Verifier,
    add_cosignatures,
    leaf_hash,
    open_checkpoint,
    parse_entry,
    verify_consistency,
    verify_inclusion,
)
from deconflict.witness.state import StateDir, WitnessState

__all__ = ["Alert", "Outcome", "Witness", "WitnessError"]

log = logging.getLogger("deconflict.witness")
_PAGE = 1000
_MAX_LEAVES = 10_000


class WitnessError(DeconflictError):
    """A round that could not be completed: the service unreachable or refusing, or a checkpoint
    that the pinned log key does not verify. Nothing was co-signed."""

    title = "Witness round failed"


class _UnprovableError(WitnessError):
    """The service refused a request as invalid (422), e.g. a proof for a size it says it lacks."""


@dataclass(frozen=True, slots=True)
class Alert:
    """Something the log must not do, and where its evidence was kept.

    `kind` is "split-view" (two signed checkpoints that cannot both be true) or "bad-entry" (an
    entry shown to the party that the checkpoint does not hold)."""

    kind: str
    detail: str
    evidence: Path | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one round did: the size of the checkpoint it saw (None if none is published yet),
    whether it co-signed it, how many entries it checked, and any alerts."""

    size: int | None
    cosigned: bool
    entries_checked: int = 0
    alerts: tuple[Alert, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.alerts


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
        checked = 0
        if not alerts:
            checked, alerts = self._check_entries(state.checked_to, note, checkpoint)
        if not alerts:
            alerts = self._cross_check(verifier, note, checkpoint)
        for alert in alerts:
            log.error("ALERT %s: %s (evidence: %s)", alert.kind, alert.detail, alert.evidence)
        if alerts:
            return Outcome(checkpoint.size, False, checked, tuple(alerts))
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
                checkpoint.size,
            )
        )
        return Outcome(checkpoint.size, True, checked)

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
        """The new checkpoint must extend the one co-signed last."""
        if state.checkpoint is None:
            return []
        problem = self._inconsistency(state.size, state.root, new.size, new.root)
        if problem is None:
            return []
        detail = (
            f"the log's checkpoint of size {new.size} is inconsistent with size {state.size} "
            f"that {self.party_id} co-signed before: {problem}"
        )
        return [self._split_view(state.checkpoint, note, detail)]

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

    def _check_entries(
        self, start: int, note: str, checkpoint: Checkpoint
    ) -> tuple[int, list[Alert]]:
        """Check every entry that concerns the party in [start, checkpoint.size)."""
        checked = 0
        for batch in self._entry_pages(start, checkpoint.size):
            leaves = self._leaves([index for index, _, _ in batch])
            for index, raw, claimed in batch:
                problem = self._entry_problem(index, raw, claimed, leaves.get(index), checkpoint)
                if problem is not None:
                    detail = f"entry {index} is not in the checkpoint of size {checkpoint.size}: "
                    record = json.dumps(
                        {"index": index, "entry": base64.b64encode(raw).decode(), "leaf": claimed}
                    )
                    folder = self.state.keep_evidence("bad-entry", note, record, detail + problem)
                    return checked, [Alert("bad-entry", detail + problem, folder)]
                checked += 1
        return checked, []

    def _entry_problem(
        self, index: int, raw: bytes, claimed: str, published: str | None, checkpoint: Checkpoint
    ) -> str | None:
        """Why entry `index` is not the one the checkpoint holds; None if it is."""
        digest = leaf_hash(raw)
        if digest.hex() != claimed or digest.hex() != published:
            return f"its hash {digest.hex()} is not the published leaf hash {published}"
        try:
            parse_entry(raw)
            response = self._request(
                "GET", "/log/proof/inclusion", params={"index": index, "size": checkpoint.size}
            )
            verify_inclusion(
                digest, index, checkpoint.size, self._hashes(response), checkpoint.root
            )
        except WitnessError:
            raise
        except DeconflictError as exc:
            return exc.detail
        return None

    def _entry_pages(self, start: int, size: int) -> Iterator[list[tuple[int, bytes, str]]]:
        cursor = start
        while cursor < size:
            page = self._request(
                "GET", "/log/entries", params={"start": cursor, "limit": _PAGE}
            ).json()
            batch = []
            for item in page["items"]:
                if item["index"] >= size:
                    break
                batch.append((int(item["index"]), _b64(item["entry"]), str(item["leaf_hash"])))
            if batch:
                yield batch
            if page.get("next_start") is None or len(batch) < len(page["items"]):
                return
            cursor = int(page["next_start"])

    def _leaves(self, indices: list[int]) -> dict[int, str]:
        """The published leaf hashes (hex) at `indices`, fetched in runs of at most 10000."""
        found: dict[int, str] = {}
        pending = sorted(indices)
        while pending:
            lo = pending[0]
            hi = max(i for i in pending if i < lo + _MAX_LEAVES) + 1
            hashes = self._request("GET", "/log/leaves", params={"start": lo, "end": hi}).json()
            found.update((lo + k, h) for k, h in enumerate(hashes["hashes"]))
            pending = [i for i in pending if i >= hi]
        return found

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


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise WitnessError(f"the service sent {text[:40]!r}, which is not base64") from None
