"""bertui's benchmarks: each figure beside the plain transformers way of doing the same work (see run.py)."""
