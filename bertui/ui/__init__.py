"""The Textual app. Nothing here imports torch or transformers: each model lives in its own process
(``bertui.model``), and the app sees only the engine's result dataclasses (``bertui.engine.results``)."""
