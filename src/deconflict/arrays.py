"""The numpy array types the cores pass, named once so every module spells them alike."""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["Bools", "Floats", "Geometries", "Ints"]

Floats: TypeAlias = npt.NDArray[np.float64]
Ints: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]
Geometries: TypeAlias = npt.NDArray[np.object_]
"""shapely geometries, one per element."""
