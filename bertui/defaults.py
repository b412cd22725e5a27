"""The defaults every entry point shares (command line, app, engine), in a module that imports nothing."""

DEFAULT_MODEL = "bert-base-uncased"
DEFAULT_TOP_K = 5
DEFAULT_WINDOW = 256
"""Lines of a ``--file`` stream read, sorted by length and batched together at a time."""
DEFAULT_STEPS = 50
"""Integrated gradients' steps (``bertui explain --steps``)."""
DEFAULT_NEAR = 10
"""Nearest vocabulary entries per token (``bertui near -k``)."""
