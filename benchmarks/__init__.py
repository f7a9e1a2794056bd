"""The cxrkit benchmark suite: the kit against what a user would write otherwise, at full MIMIC-CXR scale.

Run ``make bench`` (full scale) or ``make bench-quick``; see :mod:`benchmarks.run` and
``benchmarks/README.md``.
"""
