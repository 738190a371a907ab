"""Reading a bundle document: any value replaced by any JSON value is a named `BundleError`,
never a crash."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.evidence import BundleError, verify_bundle
from proof_bundles import World


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["index", "note", "entry", "x"]), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_replaced_value_is_a_bundle_error_never_a_crash(
    world: World, data: st.DataObject
) -> None:
    bundle = copy.deepcopy(world.bundle)
    path = data.draw(st.sampled_from(_paths(bundle)[1:]), label="path")
    value = data.draw(JSON, label="value")
    holder: Any = bundle
    for step in path[:-1]:
        holder = holder[step]
    unchanged = holder[path[-1]] == value
    holder[path[-1]] = value
    try:
        verify_bundle(bundle)
    except BundleError:
        return
    # Dropping a bracket, or a bound of one, only loosens what the bundle claims.
    assert unchanged or path[0] == "brackets", (path, value)
