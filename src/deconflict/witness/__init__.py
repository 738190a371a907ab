"""A party's witness: verifies the log's checkpoints over HTTP and co-signs the consistent ones,
keeping evidence of any split view. Sits beside the API's clients; never imports the service."""

from deconflict.witness.errors import WitnessError, WitnessStateError
from deconflict.witness.state import StateDir, WitnessState
from deconflict.witness.witness import Alert, Outcome, Witness

__all__ = [
    "Alert",
    "Outcome",
    "StateDir",
    "Witness",
    "WitnessError",
    "WitnessState",
    "WitnessStateError",
]
