"""Conversions at the edges: feet, knots and flight levels in, SI units inside."""

from __future__ import annotations

__all__ = [
    "FOOT_M",
    "KNOT_MPS",
    "NAUTICAL_MILE_M",
    "feet_per_minute_to_mps",
    "feet_to_m",
    "flight_level_to_m",
    "knots_to_mps",
    "m_to_feet",
    "mps_to_knots",
]

FOOT_M = 0.3048
NAUTICAL_MILE_M = 1852.0
KNOT_MPS = NAUTICAL_MILE_M / 3600.0


def feet_to_m(feet: float) -> float:
    return feet * FOOT_M


def m_to_feet(metres: float) -> float:
    return metres / FOOT_M


def knots_to_mps(knots: float) -> float:
    return knots * KNOT_MPS


def mps_to_knots(mps: float) -> float:
    return mps / KNOT_MPS


def feet_per_minute_to_mps(fpm: float) -> float:
    return fpm * FOOT_M / 60.0


def flight_level_to_m(flight_level: float) -> float:
    """Pressure altitude of a flight level (hundreds of feet, standard atmosphere) in metres."""
    return flight_level * 100.0 * FOOT_M
