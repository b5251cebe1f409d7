"""The swarm: what the fleet has learned from its failures, shared across products.

Every red build leaves a console log. The swarm turns each log into failure signatures (``signatures``:
kind, normalized summary, stable fingerprint) and keeps them, so that a failure in one product can be
recognized as one seen before, in this or another product, on this or another machine ("I've seen
this error before"), together with what fixed it then.

Data flow: a CI observer or actuator (stage 2: observe) calls ``extract_signatures`` on console text;
the swarm store keeps the signatures per product and build.
"""

from codemonkeys.swarm.signatures import (
    MAX_SIGNATURES,
    Signature,
    SignatureKind,
    extract_signatures,
    fingerprint,
    normalize,
)

__all__ = ["MAX_SIGNATURES", "Signature", "SignatureKind", "extract_signatures", "fingerprint", "normalize"]
