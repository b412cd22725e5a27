"""What the Python API answers for the views inside a prediction: ``Model.lens``, ``Model.explain`` and
``Model.near``, thin frozen wrappers of the engine's ``Lens``, ``Explained`` and ``Near``.

As in ``results``: ``to_dict()`` is the document that ``bertui lens | explain | near`` prints for the same
input, built by the same code (the engine result's ``to_json``, which ``bertui.headless.inside`` calls),
without its ``provenance`` block; ``rows()`` is the table of ``to_pandas()``, Jupyter and Rich.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bertui.api.results import Shown, without
from bertui.engine.inside_results import Explained, Explanation, Lens, Near


@dataclass(frozen=True)
class Lensed(Shown):
    """``Model.lens`` of one text: the model's masked-LM head read at every layer (0: the embeddings), at
    every mask; ``lens.masks[i].formed_at`` is the layer from which the final answer stays top-1."""

    text: str
    pair: str | None
    lens: Lens

    def to_dict(self) -> dict[str, Any]:
        """``bertui lens``'s document: ``{"tokens", "layers", "masks", "notes"}``."""
        return self.lens.to_json()

    def rows(self) -> list[dict[str, Any]]:
        """One row per (mask, layer, rank): the layer's top-k, beside the final answer's rank there and the
        layer's KL(final ‖ layer) in nats."""
        return [{"text": self.text, "position": mask.position, "layer": layer.layer, "rank": rank,
                 "token": candidate.token_str, "probability": candidate.probability,
                 "final": candidate.token == mask.final.token, "final_rank": layer.final_rank,
                 "final_probability": layer.final_probability, "kl": layer.kl}
                for mask in self.lens.masks for layer in mask.layers
                for rank, candidate in enumerate(layer.top, 1)]

    def target_rows(self) -> list[dict[str, Any]]:
        """One row per (mask, layer, target word): its log-probability and rank at that layer (None for a
        word that is not one vocabulary piece)."""
        return [{"text": self.text, "position": mask.position, "layer": layer.layer, "target": target.target,
                 "log_prob": target.log_prob, "rank": target.rank}
                for mask in self.lens.masks for layer in mask.layers for target in layer.targets]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        formed = "; ".join(f"{mask.final.token_str!r} at token {mask.position} formed at layer "
                           f"{mask.formed_at} of {self.lens.layers}" for mask in self.lens.masks)
        return without("text", self.rows()), f"lens: {self.text}  ({formed})"


def _explained(explanation: Explanation) -> str:
    """'sport' rather than 'game' at token 5 (grad-input)."""
    rather = "" if explanation.contrast is None else f" rather than {explanation.contrast.token_str!r}"
    return (f"{explanation.target.token_str!r}{rather} at token {explanation.position} "
            f"({explanation.method})")


@dataclass(frozen=True)
class Why(Shown):
    """``Model.explain`` of one text: why each mask's prediction, as a score for every input token (special
    tokens included) and, in ``word_rows()``, for every word (its pieces summed)."""

    text: str
    pair: str | None
    explained: Explained

    def to_dict(self, *, words: bool = False) -> dict[str, Any]:
        """``bertui explain``'s document: ``{"tokens", "masks", "notes"}``; ``words=True`` is ``--words``
        (each mask's ``"words"``)."""
        return self.explained.to_json(words=words)

    def _mask(self, explanation: Explanation) -> dict[str, Any]:
        contrast = explanation.contrast
        return {"text": self.text, "position": explanation.position, "method": explanation.method,
                "target": explanation.target.token_str,
                "contrast": None if contrast is None else contrast.token_str}

    def rows(self) -> list[dict[str, Any]]:
        """One row per (mask, input token): ``index`` is the token's place in the text's tokens."""
        tokens = self.explained.encoding.tokens
        return [{**self._mask(explanation), "index": index, "token": tokens[index], "score": score}
                for explanation in self.explained.explanations
                for index, score in enumerate(explanation.scores)]

    def word_rows(self) -> list[dict[str, Any]]:
        """One row per (mask, word): the word, its pieces' indices and their scores summed."""
        return [{**self._mask(explanation), "word": word.word, "indices": list(word.positions),
                 "score": word.score}
                for explanation in self.explained.explanations for word in explanation.words]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        why = "; ".join(_explained(explanation) for explanation in self.explained.explanations)
        return without("text", self.rows()), f"explain: {self.text}  (why {why})"


@dataclass(frozen=True)
class Nearest(Shown):
    """``Model.near`` of one text: for every token, the nearest vocabulary entries by cosine in the input
    embedding table (``"table"``) and to its hidden state at ``near.layer`` (``"context"``)."""

    text: str
    pair: str | None
    near: Near

    def to_dict(self) -> dict[str, Any]:
        """``bertui near``'s document: ``{"tokens", "layer", "near", "notes"}``."""
        return self.near.to_json()

    def rows(self) -> list[dict[str, Any]]:
        """One row per (token, kind, rank); kind is ``"table"`` or ``"context"``."""
        return [{"text": self.text, "position": token.position, "token": token.token, "kind": kind,
                 "rank": rank, "neighbour": neighbour.token_str, "cosine": neighbour.cosine}
                for token in self.near.tokens
                for kind, found in (("table", token.table), ("context", token.context))
                for rank, neighbour in enumerate(found, 1)]

    def table(self) -> tuple[list[dict[str, Any]], str]:
        return without("text", self.rows()), f"near: {self.text}  (in context at layer {self.near.layer})"
