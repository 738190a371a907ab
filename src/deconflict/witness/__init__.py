"""A party's witness: verifies the log's checkpoints over HTTP and co-signs the consistent ones,
keeping evidence of any split view. Sits beside the API's clients; never imports the service.

`audit` makes every decision of a round without I/O; `Witness` (the runner) fetches what it
reads, keeps the state and evidence on disk, and posts the cosignature."""

from deconflict.witness.audit import (
    Cosign,
    Finding,
    Refuse,
    Shown,
    Verdict,
    audit,
    trust_log_key,
)
from deconflict.witness.errors import WitnessError, WitnessStateError
from deconflict.witness.runner import Alert, Outcome, Witness
from deconflict.witness.served import PeerView, ProofRefusal, Served, ServedEntry
from deconflict.witness.state import StateDir, WitnessState

__all__ = [
    "Alert",
    "Cosign",
    "Finding",
    "Outcome",
    "PeerView",
    "ProofRefusal",
    "Refuse",
    "Served",
    "ServedEntry",
    "Shown",
    "StateDir",
    "Verdict",
    "Witness",
    "WitnessError",
    "WitnessState",
    "WitnessStateError",
    "audit",
    "trust_log_key",
]
