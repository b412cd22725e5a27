"""The Textual app. Nothing here imports torch: the model lives in the service's worker thread."""
