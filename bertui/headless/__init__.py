"""The headless side: JSON documents, JSONL streams, replay, exports and provenance.

Everything a script reads from bertui is shaped here, from the engine's result dataclasses, so the app's
exports and the commands' output share one format. May import ``bertui.engine`` (torch only where a
command runs a model) but never Textual.
"""
