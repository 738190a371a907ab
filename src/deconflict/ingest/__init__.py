"""ingest: wire and file formats in, SI-unit track states out."""

from deconflict.ingest.states import (
    MAX_STATE_AGE_S,
    STATES_CSV_COLUMNS,
    StateVectors,
    parse_states_csv,
    read_state_vectors,
    read_states,
    state_vectors_from_records,
)

__all__ = [
    "MAX_STATE_AGE_S",
    "STATES_CSV_COLUMNS",
    "StateVectors",
    "parse_states_csv",
    "read_state_vectors",
    "read_states",
    "state_vectors_from_records",
]
