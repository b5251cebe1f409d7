"""The generated fleet of ``benchmarks/ripple.py``: a release rippling through ``dependsOn`` levels."""
