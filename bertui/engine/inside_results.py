"""What the views inside a prediction answer: the layer lens, attributions and nearest tokens.

Frozen dataclasses of plain values (no tensors), as in ``results``; ``to_json`` gives the shapes the
headless commands ``bertui lens``, ``bertui explain`` and ``bertui near`` print.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bertui.engine.results import Encoding

EXPLAIN_METHODS = ("grad-input", "grad-norm", "ig", "rollout")
"""Attribution methods: gradient × input, gradient norm, integrated gradients, attention rollout."""
GRADIENT_METHODS = ("grad-input", "grad-norm")
"""The methods that need one forward and one backward (the app's analysis can be that forward)."""


@dataclass(frozen=True)
class Candidate:
    token: int
    token_str: str
    probability: float


@dataclass(frozen=True)
class LensTarget:
    """A target word at one layer; ``log_prob`` and ``rank`` None when it is not one vocabulary piece."""

    target: str
    log_prob: float | None
    rank: int | None


@dataclass(frozen=True)
class LensLayer:
    layer: int
    """0: the embeddings; n: the output of encoder layer n (the last one is the model's own answer)."""
    top: tuple[Candidate, ...]
    final_rank: int
    """Rank at this layer of the model's final top-1 (1 = first)."""
    final_probability: float
    kl: float
    """KL(final ‖ this layer) in nats: what this layer's distribution still lacks of the final one."""
    targets: tuple[LensTarget, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MaskLens:
    position: int
    """Index of the mask in ``Encoding.tokens``."""
    final: Candidate
    """The model's own top-1 (the last layer's)."""
    formed_at: int
    """The first layer from which the final top-1 stays top-1 at every later layer."""
    layers: tuple[LensLayer, ...]

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "final": asdict(self.final), "formed_at": self.formed_at,
                "layers": [layer.to_json() for layer in self.layers]}


@dataclass(frozen=True)
class Lens:
    """The model's masked-LM head read at every layer, for every mask of the text."""

    encoding: Encoding
    layers: int
    """Encoder layers; each mask has ``layers + 1`` rows (the embeddings first)."""
    masks: tuple[MaskLens, ...]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = plain({"tokens": self.encoding.tokens, "layers": self.layers,
                                          "masks": [mask.to_json() for mask in self.masks],
                                          "notes": self.notes})
        return document


@dataclass(frozen=True)
class WordScore:
    word: str
    positions: tuple[int, ...]
    """Its pieces' indices in ``Encoding.tokens``."""
    score: float
    """Sum of its pieces' scores."""


@dataclass(frozen=True)
class Explanation:
    """Why one mask's prediction: a score for every input token (special tokens included)."""

    position: int
    method: str
    target: Candidate
    """The explained token; its probability is the model's at this mask."""
    contrast: Candidate | None
    """With a contrast Y the explained quantity is log p(target) − log p(Y); else log p(target)."""
    value: float
    """The explained quantity at the input (rollout: none, so the target's log-probability)."""
    scores: tuple[float, ...]
    words: tuple[WordScore, ...]
    baseline_value: float | None = None
    """Integrated gradients: the explained quantity at the baseline."""
    delta: float | None = None
    """Integrated gradients: sum(scores) − (value − baseline_value); small when the steps suffice."""
    steps: int | None = None

    def to_json(self, *, words: bool = False) -> dict[str, Any]:
        document: dict[str, Any] = {
            "position": self.position, "method": self.method, "target": asdict(self.target),
            "contrast": None if self.contrast is None else asdict(self.contrast), "value": self.value,
            "scores": list(self.scores)}
        if self.method == "ig":
            document.update(baseline_value=self.baseline_value, delta=self.delta, steps=self.steps)
        if words:
            document["words"] = [asdict(word) for word in self.words]
        return document


@dataclass(frozen=True)
class Explained:
    encoding: Encoding
    explanations: tuple[Explanation, ...]
    """One per mask, in the text's order."""
    notes: tuple[str, ...] = ()

    def to_json(self, *, words: bool = False) -> dict[str, Any]:
        masks = [explanation.to_json(words=words) for explanation in self.explanations]
        document: dict[str, Any] = plain({"tokens": self.encoding.tokens, "masks": masks,
                                          "notes": self.notes})
        return document


@dataclass(frozen=True)
class Neighbour:
    token: int
    token_str: str
    cosine: float


@dataclass(frozen=True)
class TokenNear:
    position: int
    token: str
    table: tuple[Neighbour, ...]
    """Nearest to the token's own row of the input embedding table."""
    context: tuple[Neighbour, ...]
    """Nearest output embeddings to its hidden state at the chosen layer put through the head's transform."""

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "token": self.token,
                "table": [asdict(n) for n in self.table], "context": [asdict(n) for n in self.context]}


@dataclass(frozen=True)
class Near:
    encoding: Encoding
    layer: int
    tokens: tuple[TokenNear, ...]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = plain({"tokens": self.encoding.tokens, "layer": self.layer,
                                          "near": [token.to_json() for token in self.tokens],
                                          "notes": self.notes})
        return document



@dataclass(frozen=True)
class InsideAsk:
    """The views inside a prediction that the app has open: each is computed only while asked for, from
    the analysis's own pass where it can be (the lens and near read its hidden states)."""

    lens: bool = False
    """The layer lens at every mask and at ``lens_at``."""
    lens_at: tuple[int, ...] = ()
    """Token positions to read beside the masks (the app's selected token)."""
    explain: str | None = None
    """The attribution method (one of ``EXPLAIN_METHODS``); None: nothing explained."""
    explain_at: int | None = None
    """The mask explained (None: the first)."""
    explain_target: int = 0
    """Which of that mask's predictions is explained: 0 its top-1, 1 the second..."""
    explain_contrast: int | None = None
    """Explain it rather than this prediction of the same mask (an index like ``explain_target``)."""
    near: bool = False
    """The nearest vocabulary entries to every token, in the table and in context at ``near_layer``."""
    near_layer: int | None = None
    """None: the last layer."""

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = plain(asdict(self))
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> InsideAsk:
        fields: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                                  for key, value in document.items()}
        return cls(**fields)


@dataclass(frozen=True)
class Unavailable:
    """Why a view asked for has no answer for this text (no mask, a family whose head is unknown...)."""

    reason: str


@dataclass(frozen=True)
class InsideAnswer:
    """The answers of the views an ``InsideAsk`` asked for (None: not asked)."""

    lens: Lens | Unavailable | None = None
    explained: Explained | Unavailable | None = None
    near: Near | Unavailable | None = None

    def to_json(self) -> dict[str, Any]:
        """The views answered, under the names of the commands that print them (``bertui lens``...)."""
        views = {"lens": self.lens, "explain": self.explained, "near": self.near}
        document: dict[str, Any] = {}
        for name, view in views.items():
            if isinstance(view, Unavailable):
                document[name] = {"unavailable": view.reason}
            elif view is not None:
                document[name] = view.to_json(words=True) if isinstance(view, Explained) else view.to_json()
        return document


def plain(value: Any) -> Any:
    """JSON's own shapes: tuples (``asdict`` keeps them) become lists, which compare equal when read back."""
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
