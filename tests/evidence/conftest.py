"""The bundle most evidence tests start from."""

from __future__ import annotations

import pytest

from proof_bundles import World, build


@pytest.fixture(scope="module")
def world() -> World:
    return build()
