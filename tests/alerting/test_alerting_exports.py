"""`deconflict.alerting` and its modules list only names they have, and the package re-exports
every public name of its modules."""

from __future__ import annotations

import deconflict.alerting as alerting
from deconflict.alerting import (
    conditions,
    conformance,
    intrusion,
    lifecycle,
    silence,
    subjects,
    tactical,
)

MODULES = (conditions, conformance, intrusion, lifecycle, silence, subjects, tactical)


def test_every_listed_name_exists_once() -> None:
    for module in (alerting, *MODULES):
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_package_exports_every_name_its_modules_export() -> None:
    for module in MODULES:
        for name in module.__all__:
            assert getattr(alerting, name, None) is getattr(module, name), name
    assert len(alerting.__all__) == sum(len(m.__all__) for m in MODULES)
