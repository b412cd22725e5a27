"""The defaults every entry point shares (command line, app, engine), in a module that imports nothing."""

DEFAULT_MODEL = "bert-base-uncased"
DEFAULT_TOP_K = 5
