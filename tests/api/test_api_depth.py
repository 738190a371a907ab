"""Bodies nested deeper than MAX_JSON_DEPTH are a 400 problem naming where, before anything
walks them: 300 levels in a notice's properties used to be a 500 (orjson writes at most 254)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deconflict.api.edge import MAX_JSON_DEPTH


def _notice(world: Any, feature: Any, nested: int) -> Any:
    """Submit a notice whose volume's properties hold `nested` levels of arrays under `deep`
    (the text is built by hand: no encoder in the way)."""
    volume = feature(30.0)
    volume["properties"]["deep"] = "@deep@"
    body = json.dumps({"agreement_id": "ab", "purpose": "deep", "volumes": [volume]})
    text = body.replace('"@deep@"', "[" * nested + "]" * nested)
    return world.client.post(
        "/notices",
        content=text,
        headers={**world.headers("alpha"), "content-type": "application/json"},
    )


@pytest.mark.parametrize("nested", [MAX_JSON_DEPTH - 4, MAX_JSON_DEPTH - 3, 300, 1000])
def test_a_body_deeper_than_the_limit_is_a_400_naming_where(
    world: Any, feature: Any, nested: int
) -> None:
    # The body's own levels: the object, volumes, the feature, properties, then `deep`'s arrays.
    depth = 4 + nested
    answer = _notice(world, feature, nested)
    if depth <= MAX_JSON_DEPTH:
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert "deeper than 32 levels" in problem["detail"]
    [error] = problem["errors"]
    assert error["pointer"].startswith("/volumes/0/properties/deep/0/0")
