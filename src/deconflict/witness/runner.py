"""A party's witness over HTTP: fetch what the log serves, let the audit judge it, then co-sign
it, or refuse and keep the evidence.

One round (`Witness.run_once`):

1. load the state and settle the log key: the one given, or pinned in the state, or (first run
   only) fetched from `/log/key` and pinned;
2. fetch `/log/checkpoint` and hand it to `audit_checkpoint`, which reads through
   `_Service` (a `Served`), as it needs them, the leaf hashes (`/log/leaves`, in pages), the
   entries that concern the party (`/log/entries`), consistency proofs
   (`/log/proof/consistency`) and the other parties' co-signed checkpoints (`/parties`,
   `/log/cosigned/{id}`);
3. on a refusal, keep each finding's evidence in the state directory and log it as an ALERT;
   on a co-sign, cosign (a C2SP tlog-cosignature with this machine's clock), post it to
   `/log/cosignatures` and remember it with the new compact range.

A witness with no state fetches every leaf hash from 0 (they are public: entries are salted). It
speaks HTTP through an injected `httpx.Client` (base URL and bearer token set by the caller),
never the service itself.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from deconflict.clock import Clock, SystemClock
from deconflict.errors import DeconflictError
from deconflict.log import CosignatureVerifier, Cosigner, Ed25519Verifier, add_cosignatures
from deconflict.witness.audit import Finding, Refuse, Shown, audit_checkpoint, trust_log_key
from deconflict.witness.errors import WitnessError
from deconflict.witness.served import PeerView, ProofRefusal, ServedEntry
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
    """Something the log must not do (a `Finding` of the audit), and where its evidence was
    kept."""

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
        self._service = _Service(client, party_id)
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
        response = self._service.request("GET", "/log/checkpoint", missing_ok=True)
        if response is None:
            return Outcome(None, False)
        note = response.text
        verdict = audit_checkpoint(Shown(self.party_id, state, verifier, note), self._service)
        for warning in verdict.warnings:
            log.warning("%s", warning)
        checkpoint = verdict.checkpoint
        if isinstance(verdict, Refuse):
            alerts = tuple(self._keep(finding) for finding in verdict.findings)
            for alert in alerts:
                log.error("ALERT %s: %s (evidence: %s)", alert.kind, alert.detail, alert.evidence)
            return Outcome(
                checkpoint.size, False, verdict.entries_checked, alerts, verdict.leaves_audited
            )
        cosignature = self._cosigner.cosign(checkpoint, self._clock.now())
        self._service.request(
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
                verdict.compact_range,
            )
        )
        return Outcome(checkpoint.size, True, verdict.entries_checked, (), verdict.leaves_audited)

    def _log_verifier(self, state: WitnessState) -> Ed25519Verifier:
        """The log key given, or pinned in the state, or (first run only) fetched and pinned."""
        vkey = self._log_vkey or state.log_vkey
        if vkey is None:
            vkey = self._service.request("GET", "/log/key").text.strip()
            log.warning("pinning the log key %s on first use", vkey)
        verifier = trust_log_key(vkey, state.log_vkey)
        if state.log_vkey is None:
            self.state.save(replace(state, log_vkey=verifier.vkey()))
        return verifier

    def _keep(self, finding: Finding) -> Alert:
        """The finding as an alert, its two texts kept as evidence in the state directory."""
        folder = self.state.keep_evidence(
            finding.kind, finding.ours, finding.theirs, finding.detail
        )
        return Alert(finding.kind, finding.detail, folder)


class _Service:
    """The service as the witness of `party_id` reads it over HTTP: the audit's `Served`."""

    def __init__(self, client: httpx.Client, party_id: str) -> None:
        self._client = client
        self._party_id = party_id

    def leaf_pages(self, start: int, end: int) -> Iterator[list[bytes]]:
        """The published leaf hashes [start, end), `_LEAF_PAGE` a call."""
        for lo in range(start, end, _LEAF_PAGE):
            hi = min(lo + _LEAF_PAGE, end)
            page = self.request("GET", "/log/leaves", params={"start": lo, "end": hi}).json()
            hashes = [_hex32(h) for h in page["hashes"]]
            if len(hashes) != hi - lo:
                raise WitnessError(f"asked for leaves [{lo}, {hi}), the service sent {len(hashes)}")
            yield hashes

    def entries(self, start: int, end: int) -> Iterator[ServedEntry]:
        """The entries that concern the party in [start, end), in strictly increasing order."""
        cursor = start
        while cursor < end:
            page = self.request(
                "GET", "/log/entries", params={"start": cursor, "limit": _ENTRY_PAGE}
            ).json()
            for item in page["items"]:
                index = int(item["index"])
                if index >= end:
                    return
                if index < cursor:
                    raise WitnessError(f"the service sent entry {index} after asking from {cursor}")
                yield ServedEntry(index, _b64(item["entry"]), str(item["leaf_hash"]))
                cursor = index + 1
            if page.get("next_start") is None:
                return
            if int(page["next_start"]) < cursor:
                raise WitnessError(f"the service sent next_start {page['next_start']} < {cursor}")
            cursor = int(page["next_start"])

    def consistency(self, old: int, new: int) -> tuple[bytes, ...] | ProofRefusal:
        return self._proof("/log/proof/consistency", {"old": old, "new": new})

    def cited(self, index: int) -> Iterator[ServedEntry]:
        """The entries entry `index` cites, as the service shows them to the party."""
        for item in self.request("GET", f"/log/entries/{index}/cited").json()["items"]:
            yield ServedEntry(int(item["index"]), _b64(item["entry"]), str(item["leaf_hash"]))

    def inclusion(self, index: int, size: int) -> tuple[bytes, ...] | ProofRefusal:
        return self._proof("/log/proof/inclusion", {"index": index, "size": size})

    def _proof(self, path: str, params: dict[str, int]) -> tuple[bytes, ...] | ProofRefusal:
        """A proof's hashes, or the service's refusal to prove what was asked."""
        try:
            response = self.request("GET", path, params=params)
        except _UnprovableError as exc:
            return ProofRefusal(exc.detail)
        return tuple(_b64(h) for h in response.json()["hashes"])

    def peer_views(self) -> Iterator[PeerView]:
        """The newest co-signed checkpoint of every other party with a cosigning key."""
        for party, keys in self._peers():
            response = self.request("GET", f"/log/cosigned/{party}", missing_ok=True)
            if response is not None:
                yield PeerView(party, keys, response.text)

    def _peers(self) -> list[tuple[str, tuple[CosignatureVerifier, ...]]]:
        """The other parties and their co-signing keys, as the service lists them."""
        peers = []
        for party in self.request("GET", "/parties").json()["items"]:
            if party["id"] == self._party_id:
                continue
            keys = tuple(
                CosignatureVerifier(party["id"], _b64(k["key_b64"]))
                for k in party["keys"]
                if k["purpose"] == "cosign"
            )
            if keys:
                peers.append((str(party["id"]), keys))
        return peers

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, int] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        """The response; None for a 404 when `missing_ok`; `WitnessError` for any failure."""
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
