"""`deconflict.detection`, its two sub-packages and their modules list only names they have, and
the package re-exports every type the sub-packages export."""

from __future__ import annotations

import deconflict.detection as detection
from deconflict.detection import strategic, tactical
from deconflict.detection.strategic import grid, index, pair
from deconflict.detection.tactical import alerts, engine, prune, reference
from deconflict.detection.tactical import types as tactical_types

PACKAGES = {
    strategic: (grid, index, pair),
    tactical: (alerts, engine, prune, reference, tactical_types),
}


def test_every_listed_name_exists_once() -> None:
    for module in (detection, *PACKAGES, *(m for ms in PACKAGES.values() for m in ms)):
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_package_exports_every_type_its_sub_packages_export() -> None:
    for package in PACKAGES:
        for name in package.__all__:
            if isinstance(getattr(package, name), type):
                assert getattr(detection, name, None) is getattr(package, name), name
