"""The boundary between the engine and its callers: requests in, results out.

Everything here is a frozen dataclass of plain Python values (no tensors), safe to hand from the
worker thread to the UI and to serialise as JSON. ``to_json`` gives the shapes the headless
commands print; fill-mask keys follow transformers' fill-mask pipeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class AnalysisRequest:
    """What the text on screen asks of the model. ``request_id`` ties the answer to the question."""

    request_id: int
    text_a: str
    text_b: str | None = None
    top_k: int = 5
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Encoding:
    """A tokenized text or pair; every tuple has one entry per token, special tokens included."""

    tokens: tuple[str, ...]
    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...]
    attention_mask: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    """Character span of each token in the text it came from ((0, 0) for special tokens)."""
    sequence_ids: tuple[int | None, ...]
    """0 if the token came from text_a, 1 from text_b, None for special tokens."""
    special: tuple[bool, ...]
    """True for [CLS], [SEP], [PAD]... (not for [MASK], which stands for a word)."""
    mask_positions: tuple[int, ...]
    truncated: int = 0
    """How many tokens were cut to fit the model's maximum length."""

    def to_json(self) -> dict:
        return {
            "tokens": list(self.tokens),
            "input_ids": list(self.input_ids),
            "token_type_ids": list(self.token_type_ids),
            "attention_mask": list(self.attention_mask),
            "offsets": [list(span) for span in self.offsets],
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class Prediction:
    score: float
    token: int
    token_str: str
    sequence: str
    """The input with this token in place of the mask (other masks stay masks)."""


@dataclass(frozen=True)
class MaskPrediction:
    position: int
    """Index of the mask in ``Encoding.tokens``."""
    predictions: tuple[Prediction, ...]

    def to_json(self) -> dict:
        return {"position": self.position, "predictions": [asdict(p) for p in self.predictions]}


@dataclass(frozen=True)
class NextSentence:
    is_next: float
    not_next: float


@dataclass(frozen=True)
class RankedCandidate:
    rank: int
    candidate: str
    is_next: float
    not_next: float
    index: int = 0
    """Position of the candidate in the list as given."""

    def to_json(self) -> dict:
        return {"rank": self.rank, "candidate": self.candidate, "is_next": self.is_next,
                "not_next": self.not_next}


@dataclass(frozen=True)
class ModelInfo:
    spec: str
    """What the person asked for: a hub id, a folder, or ``demo``."""
    name_or_path: str
    architecture: str
    model_type: str
    layers: int
    hidden_size: int
    heads: int
    intermediate_size: int
    vocab_size: int
    max_length: int
    """Longest input in tokens, special tokens included."""
    parameters: int
    device: str
    dtype: str
    has_mlm_head: bool
    has_nsp_head: bool
    tokenizer_class: str
    tokenizer_fast: bool
    mask_token: str
    is_demo: bool = False
    """The built-in demo model: random weights, so its predictions mean nothing."""
    load_seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Analysis:
    """Everything the panes show for one request, computed from one encoder pass."""

    request_id: int
    encoding: Encoding
    masks: tuple[MaskPrediction, ...] = ()
    next_sentence: NextSentence | None = None
    """IsNext of (text_a, text_b); None without text_b or without an NSP head."""
    ranking: tuple[RankedCandidate, ...] | None = None
    """Candidates ranked against text_a; None when the model has no NSP head."""
    elapsed_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())
    """Things a person should know about this result (e.g. truncation, k clamped)."""
