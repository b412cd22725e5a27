"""bertui from Python: ``bertui.load(spec)`` gives a ``Model`` whose ``fill``/``score``/``nsp``/``tokenize``
and ``lens``/``explain``/``near`` (the views inside a prediction) take a text or a list of texts and answer
with frozen results (``.to_dict()`` is the command line's JSON document, ``.to_pandas()`` a table, and
Jupyter and Rich draw them as tables).

A layer beside the app and the web server: may import the engine and the headless formats (the one JSON
shape), never Textual, the app, the web server or the model's process. No torch at import: the engine is
imported by ``load`` only.
"""

from bertui.api.inside import Lensed, Nearest, Why
from bertui.api.model import Model, load
from bertui.api.results import Filled, Info, Ranking, Results, Scored, Tokens

__all__ = ["Filled", "Info", "Lensed", "Model", "Nearest", "Ranking", "Results", "Scored", "Tokens", "Why",
           "load"]
