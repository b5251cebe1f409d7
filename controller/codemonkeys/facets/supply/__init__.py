"""Supply-chain evidence of a released version, and its verification by a consumer.

``sbom.py`` builds a deterministic CycloneDX 1.6 SBOM of a product's checkout (its dependencies as the
checkout declares or locks them, read offline) and the artifacts of the version with their SHA-256;
``attest.py`` writes the bundle beside the artifacts (the SBOM, an in-toto / SLSA v1 provenance
statement, ``<name>-<version>.SHA256SUMS`` over the artifacts and both documents, and its SSH signature
by ``ssh-keygen -Y sign``, written last) and ``verify_release`` checks such a directory against a
public key: signature, every artifact's digest, and that the SBOM and the provenance name the same
digests. ``sbom.py`` only reads files; ``attest.py`` runs ``ssh-keygen`` to sign and verify.

The facet around them: ``plugin.py`` (the pure planner: ``supply.attest/<registry>`` after the
publishes), ``facts.py`` (its own facts model), ``evidence.py`` (where a version's evidence lives and its
state, shared by) ``observer.py`` and ``actuators.py``.
"""
