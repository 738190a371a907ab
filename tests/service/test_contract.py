"""`service/contract.md` and the facade say the same: every public name of `Service` is in the
contract's `class Service` block, every call there is on the facade, with the same parameters."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

import deconflict.service
from deconflict.clock import FakeClock
from deconflict.log import Ed25519Signer
from deconflict.service import Service
from deconflict.service.context import Context

CONTRACT = Path(deconflict.service.__file__).with_name("contract.md")
USE_CASES = {
    "parties",
    "agreements",
    "aircraft",
    "airspace",
    "notices",
    "acknowledgements",
    "timers",
    "events",
    "ledger",
    "bundles",
    "status",
    "tracks",
    "track_history",
    "alerts",
}
"""The use-case objects the facade holds; the contract's table lists them, not its block."""


def service_block() -> str:
    """The contract's `class Service:` block, up to the module-level functions after it."""
    text = CONTRACT.read_text()
    block = text.split("\nclass Service:\n", 1)[1]
    return block.split("\n# ", 1)[0].split("```", 1)[0]


def documented_calls(block: str) -> dict[str, list[str]]:
    """Each `def name(...)` of the block and its parameter names, without self, cls and `*`."""
    calls: dict[str, list[str]] = {}
    for name, params in re.findall(r"def (\w+)\((.*?)\)\s*(?:->|$)", block, re.S | re.M):
        names, depth, current = [], 0, ""
        for char in params + ",":
            if char in "[(":
                depth += 1
            elif char in "])":
                depth -= 1
            if char == "," and depth == 0:
                names.append(re.split(r"[:=]", current)[0].strip())
                current = ""
            else:
                current += char
        calls[name] = [n for n in names if n not in ("", "self", "cls", "*")]
    return calls


def facade() -> Service:
    """A facade over an unmigrated in-memory database: enough to read its names."""
    engine = sa.create_engine("sqlite://")
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    return Service(Context(engine, clock, Ed25519Signer.generate("contract.test")))


def test_every_public_name_of_the_facade_is_in_the_contract() -> None:
    block = service_block()
    service = facade()
    public = {name for name in dir(service) if not name.startswith("_")} - USE_CASES
    documented = set(documented_calls(block)) | set(re.findall(r"^ {4}(\w+):", block, re.M))
    assert sorted(public - documented) == []
    assert sorted(documented - public) == []


def test_each_documented_call_takes_the_facades_parameters() -> None:
    service = facade()
    for name, params in documented_calls(service_block()).items():
        signature = inspect.signature(getattr(service, name))
        assert params == list(signature.parameters), name
