"""Kinds (stage 1: load): the fleet repo's document types and the loader that validates them.

The loader here is parameterized by ``LoadHooks`` (CEL checks, git revision) so that kinds depend on the
vocabulary alone; ``codemonkeys.load`` composes it with ``policy.cel`` and ``repos``.
"""

from codemonkeys.kinds.loader import DesiredState, LoadHooks, ProductEntry
from codemonkeys.kinds.models import KINDS, Constitution, Fleet, Product

__all__ = ["KINDS", "Constitution", "DesiredState", "Fleet", "LoadHooks", "Product", "ProductEntry"]
