"""The model side of bertui: no Textual here, and no torch at import time.

Importing this package (and ``results``) is cheap: torch and transformers are imported only by the
modules that run a model (``inference`` and what it uses: ``loading``, ``devices``, ``batching``,
``decoding``, ``model_info``, the heads and the passes), which a caller imports when it actually wants
one (the app does so in the model's process). May import ``bertui.errors`` and
``bertui.defaults``; never the app, the web server, the model process or the headless formats.
"""

from bertui.engine.results import (
    Analysis,
    AnalysisRequest,
    Encoding,
    MaskPrediction,
    ModelInfo,
    NextSentence,
    Prediction,
    RankedCandidate,
)
from bertui.errors import BertuiError, InputError, ModelLoadError

__all__ = [
    "Analysis",
    "AnalysisRequest",
    "BertuiError",
    "Encoding",
    "InputError",
    "MaskPrediction",
    "ModelInfo",
    "ModelLoadError",
    "NextSentence",
    "Prediction",
    "RankedCandidate",
]
