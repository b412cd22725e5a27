"""What the Python API answers: thin frozen wrappers of the engine's results.

Each keeps the engine's own result (``analysis``, ``encoding``, ``surprisal``, ``ranking``, ``info``) and
adds ``to_dict()``, which is the command line's JSON document for the same input, built by the same code
(``bertui.headless.documents``) without its ``provenance`` block (``Model.provenance()`` gives it), and
``rows()``, the table that ``to_pandas()``, Jupyter (``_repr_html_``) and Rich (``__rich__``) show.
A list of inputs is answered by ``Results``: a tuple of them, with the same four. The views inside a
prediction (``lens``, ``explain``, ``near``) have their wrappers in ``inside``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bertui.api.tables import data_frame, html_table, rich_table
from bertui.engine.results import Analysis, Encoding, ModelInfo, RankedCandidate, Surprisal
from bertui.headless.documents import fill_json, nsp_json, score_json


class Shown:
    """``to_pandas`` from ``rows()``; ``_repr_html_`` (Jupyter) and ``__rich__`` (a terminal) from
    ``table()``: the rows to draw under a caption."""

    def to_dict(self) -> Any:
        """The command line's JSON document for the same input."""
        raise NotImplementedError

    def rows(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def table(self) -> tuple[list[dict[str, Any]], str]:
        raise NotImplementedError

    def to_pandas(self) -> Any:
        """A pandas DataFrame of ``rows()`` (needs the ``bertui[pandas]`` extra)."""
        return data_frame(self.rows())

    def _repr_html_(self) -> str:
        return html_table(*self.table())

    def __rich__(self) -> Any:
        return rich_table(*self.table())


def without(key: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of one input, drawn under a caption that names it: its column left out."""
    return [{name: value for name, value in row.items() if name != key} for row in rows]


@dataclass(frozen=True)
class Filled(Shown):
    """``Model.fill`` of one text: the top-k at every mask, the targets' scores, the joint fillings."""

    text: str
    pair: str | None
    analysis: Analysis
    mask_token: str

    def to_dict(self) -> dict[str, Any]:
        """``bertui fill``'s document: ``{"masks"}``, ``"targets"`` and ``"joint"`` when there are some."""
        return fill_json(self, self.analysis)

    def rows(self) -> list[dict[str, Any]]:
        """One row per prediction, then one per target word, at every mask."""
        predictions = [{"text": self.text, "position": mask.position, "kind": "prediction", "rank": rank,
                        "token": p.token_str, "probability": p.score,
                        "log_prob": math.log(p.score) if p.score > 0 else -math.inf}
                       for mask in self.analysis.masks for rank, p in enumerate(mask.predictions, 1)]
        targets = [{"text": self.text, "position": mask.position, "kind": "target", "rank": t.rank,
                    "token": t.target, "probability": t.probability, "log_prob": t.log_prob}
                   for mask in self.analysis.targets for t in mask.scores]
        return predictions + targets

    def table(self) -> tuple[list[dict[str, Any]], str]:
        return without("text", self.rows()), f"fill: {self.text}"


@dataclass(frozen=True)
class Scored(Shown):
    """``Model.score`` of one sentence: PLL, word-l2r PLL and every token's own score."""

    text: str
    pair: str | None
    encoding: Encoding
    surprisal: Surprisal

    @property
    def pll(self) -> float:
        return self.surprisal.pseudo_log_likelihood

    @property
    def pll_word_l2r(self) -> float:
        return self.surprisal.pll_word_l2r

    def to_dict(self) -> dict[str, Any]:
        """One sentence of ``bertui score``'s ``"sentences"``."""
        return score_json(self.text, self.pair, self.encoding, self.surprisal)

    def rows(self) -> list[dict[str, Any]]:
        """One row for the sentence (``token_rows`` has its tokens)."""
        return [{"text": self.text, "pair": self.pair, "pll": self.pll, "pll_word_l2r": self.pll_word_l2r,
                 "n_tokens": len(self.surprisal.tokens), "truncated": self.encoding.truncated}]

    def token_rows(self) -> list[dict[str, Any]]:
        return [{"text": self.text, **token.to_json()} for token in self.surprisal.tokens]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        """Every token's score, under the sentence's PLLs."""
        return (without("text", self.token_rows()),
                f"score: {self.text}  pll {self.pll:.4f}  pll_word_l2r {self.pll_word_l2r:.4f}")


@dataclass(frozen=True)
class Ranking(Shown):
    """``Model.nsp``: the candidates ranked by IsNext after ``first``."""

    first: str
    ranking: tuple[RankedCandidate, ...]

    def to_dict(self) -> dict[str, Any]:
        """``bertui nsp``'s document: ``{"first", "ranking"}``."""
        return nsp_json(self.first, self.ranking)

    def rows(self) -> list[dict[str, Any]]:
        return [{"first": self.first, **entry.to_json()} for entry in self.ranking]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        return without("first", self.rows()), f"nsp after: {self.first}"


@dataclass(frozen=True)
class Tokens(Shown):
    """``Model.tokenize``: the model's tokens, ids, segments, attention mask and character offsets."""

    text: str
    pair: str | None
    encoding: Encoding

    def to_dict(self) -> dict[str, Any]:
        """``bertui tokenize``'s document."""
        return self.encoding.to_json()

    def rows(self) -> list[dict[str, Any]]:
        encoding = self.encoding
        return [{"position": i, "token": token, "input_id": encoding.input_ids[i],
                 "token_type_id": encoding.token_type_ids[i], "start": encoding.offsets[i][0],
                 "end": encoding.offsets[i][1]} for i, token in enumerate(encoding.tokens)]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        return self.rows(), f"tokens: {self.text}"


@dataclass(frozen=True)
class Info(Shown):
    """``Model.info``: what the model is."""

    info: ModelInfo

    def to_dict(self) -> dict[str, Any]:
        """``bertui info``'s document."""
        return self.info.to_json()

    def rows(self) -> list[dict[str, Any]]:
        return [{"field": name, "value": value} for name, value in self.to_dict().items()]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        return self.rows(), f"model: {self.info.spec}"

    def __getattr__(self, name: str) -> Any:
        """The fields of the engine's ModelInfo (``model.info.parameters``)."""
        if name.startswith("__") or name == "info":  # copy and pickle ask before ``info`` is set
            raise AttributeError(name)
        return getattr(self.info, name)


Item = TypeVar("Item", bound=Shown)


class Results(tuple, Shown, Generic[Item]):  # type: ignore[type-arg]
    """The answers to a list of inputs, in its order: a tuple, whose table is its items' rows together."""

    def to_dict(self) -> list[dict[str, Any]]:
        """Each answer's ``to_dict()``."""
        return [item.to_dict() for item in self]

    def rows(self) -> list[dict[str, Any]]:
        return [row for item in self for row in item.rows()]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        kind = type(self[0]).__name__ if self else "no input"
        return self.rows(), f"{len(self)} × {kind}"

    def __repr__(self) -> str:
        return f"Results({tuple.__repr__(self)})"
