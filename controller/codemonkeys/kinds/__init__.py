"""Kinds: the fleet repo's document types and the loader that validates them (stage 1: load)."""

from codemonkeys.kinds.loader import DesiredState, ProductEntry, load_fleet, load_fleet_or_raise
from codemonkeys.kinds.models import KINDS, Constitution, Fleet, Product

__all__ = [
    "KINDS",
    "Constitution",
    "DesiredState",
    "Fleet",
    "Product",
    "ProductEntry",
    "load_fleet",
    "load_fleet_or_raise",
]
