"""A party's witness: verifies the log's checkpoints over HTTP and co-signs the consistent ones,
keeping evidence of any split view. Sits beside the API's clients; never imports the service.

`audit_checkpoint` makes every decision of a round without I/O, reading through `Served`;
`Witness` (the runner) serves it over HTTP, keeps the state and evidence on disk, and posts the
cosignature."""

from deconflict.witness.audit import (
    Cosign,
    Finding,
    Refuse,
    Shown,
    Verdict,
    audit_checkpoint,
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
    "audit_checkpoint",
    "trust_log_key",
]
