"""The model side of bertui: no Textual here, and no torch at import time.

Importing this package (and ``results``/``errors``) is cheap: torch and transformers are imported
only by ``bertui.engine.inference`` and ``bertui.engine.loading``, which a caller imports when it
actually wants a model (the app does so inside its worker thread).
"""

from bertui.engine.errors import BertuiError, InputError, ModelLoadError
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
