"""The boundary between the engine and its callers: requests in, results out.

Everything here is a frozen dataclass of plain Python values (no tensors), safe to hand from the
worker thread to the UI and to serialise as JSON. ``to_json`` gives the shapes the headless
commands print; fill-mask keys follow transformers' fill-mask pipeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from bertui.defaults import DEFAULT_TOP_K

if TYPE_CHECKING:  # numpy costs ~0.2 s to import: the app's first paint must not wait for it
    import numpy as np


@dataclass(frozen=True)
class AnalysisRequest:
    """What the text on screen asks of the model. ``request_id`` ties the answer to the question."""

    request_id: int
    text_a: str
    text_b: str | None = None
    top_k: int = DEFAULT_TOP_K
    candidates: tuple[str, ...] = ()
    masked: tuple[int, ...] = ()
    """Token positions to mask as well, without editing the text (mask any token or whole word)."""
    attention: bool = False
    """Return every layer's and head's attention (costs time: asked only while that view is open)."""
    embeddings: bool = False
    """Return the token/segment/position embedding breakdown of every token."""
    surprisal: bool = False
    """Mask each token in turn (one batched forward) and score the real token."""


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
    word_ids: tuple[int | None, ...] = ()
    """Index of the word each token belongs to (WordPieces of one word share it); None for specials."""

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
class WordPrediction:
    """Whole-word fillings for a word whose WordPieces are all masked: best joint choices first."""

    positions: tuple[int, ...]
    words: tuple[str, ...]
    scores: tuple[float, ...]
    """Product of the pieces' probabilities (each piece predicted in the same pass)."""

    def to_json(self) -> dict:
        return {"positions": list(self.positions),
                "predictions": [{"word": w, "score": s} for w, s in zip(self.words, self.scores)]}


@dataclass(frozen=True, eq=False)
class AttentionMaps:
    """Attention weights of one pass: ``weights[layer, head, from_token, to_token]`` (float32)."""

    weights: np.ndarray

    @property
    def layers(self) -> int:
        return int(self.weights.shape[0])

    @property
    def heads(self) -> int:
        return int(self.weights.shape[1])

    def matrix(self, layer: int, head: int | None = None) -> np.ndarray:
        """[from, to] weights of one head, or their mean over heads when ``head`` is None."""
        maps = self.weights[layer]
        return maps.mean(axis=0) if head is None else maps[head]


@dataclass(frozen=True)
class EmbeddingBreakdown:
    """How one token's input embedding is made: token + segment + position (before LayerNorm)."""

    position: int
    token_norm: float
    segment_norm: float
    position_norm: float
    sum_norm: float
    token_cosine: float
    """Cosine of each part to the summed embedding."""
    segment_cosine: float
    position_cosine: float


@dataclass(frozen=True)
class TokenSurprisal:
    position: int
    token: str
    probability: float
    """Probability of the real token when it alone is masked."""
    rank: int
    """1 = the model's first guess."""
    surprisal: float
    """-log2 probability, in bits."""


@dataclass(frozen=True)
class Surprisal:
    tokens: tuple[TokenSurprisal, ...]
    pseudo_log_likelihood: float
    """Sum of natural-log probabilities of every real token masked in turn (Salazar et al., 2020)."""

    def to_json(self) -> dict:
        return {"tokens": [asdict(t) for t in self.tokens], "pseudo_log_likelihood": self.pseudo_log_likelihood}


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
    has_segments: bool = True
    """The tokenizer gives token_type_ids and the model has a segment table: False for RoBERTa, XLM-R,
    DistilBERT, MPNet, ModernBERT, DeBERTa-v3 (whose segment row would be all zeros)."""
    no_nsp_reason: str = ""
    """Why there is no next-sentence head, in words for a person; empty when there is one."""

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
    """Candidates ranked against text_a; None when the model has no NSP head (or, from
    ``Engine.analyze(request, rank=False)``, when the ranking was left to ``Engine.rank``)."""
    elapsed_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())
    """Things a person should know about this result (e.g. truncation, k clamped)."""
    words: tuple[WordPrediction, ...] = ()
    """Joint fillings of words masked whole (every WordPiece masked)."""
    attention: AttentionMaps | None = None
    embeddings: tuple[EmbeddingBreakdown, ...] | None = None
    surprisal: Surprisal | None = None
