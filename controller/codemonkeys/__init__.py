"""Code Monkeys: a declarative reconciliation controller for a fleet of software products.

Data flows one way: kinds (load) -> observe -> plan -> policy (gate) -> engine/act (apply) -> store (record).
"""

__version__ = "0.1.0"
