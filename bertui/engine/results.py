"""The boundary between the engine and its callers: requests in, results out.

Everything here is a frozen dataclass of plain Python values (no tensors), safe to hand from the
model's process to the UI and to serialise as JSON. ``to_json`` gives the shapes the headless
commands print; fill-mask keys follow transformers' fill-mask pipeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from bertui.defaults import DEFAULT_TOP_K

if TYPE_CHECKING:  # numpy costs ~0.2 s to import: the app's first paint must not wait for it
    import numpy as np

    from bertui.engine.inside_results import InsideAnswer, InsideAsk


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
    """Return the attention of layer ``attention_layer``, every head (costs time: asked only while that
    view is open)."""
    attention_layer: int = 0
    """The layer whose attention to return (from 0): one layer is shown, so one is sent."""
    embeddings: bool = False
    """Return the token/segment/position embedding breakdown of every token."""
    surprisal: bool = False
    """Mask each token in turn (one batched forward) and score the real token."""
    targets: tuple[str, ...] = ()
    """Words to score at every mask. One-piece words are read from the logits of the top-k (no extra
    pass); a word of several pieces widens the mask and costs one batched pass per mask and word."""
    joint: bool = False
    """With two or more masks, search their best fillings together (a beam: one pass per mask + one)."""
    beam: int = 0
    """Width of the joint-fill beam; never below top_k (0: top_k)."""
    alone: bool = False
    """With text_b: score text_a and text_b each alone as well (``Analysis.alone``: which one the
    model prefers). Two batched scoring passes; the app asks while the surprisal view is on."""
    inside: InsideAsk | None = None  # the views inside a prediction to answer too (lens, explain, near)


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

    def to_json(self) -> dict[str, Any]:
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

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "predictions": [asdict(p) for p in self.predictions]}


@dataclass(frozen=True)
class WordPrediction:
    """Whole-word fillings for a word whose WordPieces are all masked: best joint choices first."""

    positions: tuple[int, ...]
    words: tuple[str, ...]
    scores: tuple[float, ...]
    """Product of the pieces' probabilities (each piece predicted in the same pass)."""

    def to_json(self) -> dict[str, Any]:
        return {"positions": list(self.positions),
                "predictions": [{"word": w, "score": s} for w, s in zip(self.words, self.scores)]}


@dataclass(frozen=True, eq=False)
class AttentionMaps:
    """Attention weights of one layer of one pass: ``weights[head, from_token, to_token]`` (float32).

    One layer, not all: the view shows one, and at 512 tokens on bert-base every layer is 150 MB.
    """

    weights: np.ndarray
    layer: int
    """Which layer (from 0)."""
    layers: int
    """How many layers the model has."""

    @property
    def heads(self) -> int:
        return int(self.weights.shape[0])

    def matrix(self, head: int | None = None) -> np.ndarray:
        """[from, to] weights of one head, or their mean over heads when ``head`` is None."""
        matrix: np.ndarray = self.weights.mean(axis=0) if head is None else self.weights[head]
        return matrix


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
class TargetScore:
    """One chosen word at one mask. ``pieces`` empty: the word is not in the vocabulary (no score)."""

    target: str
    pieces: tuple[str, ...]
    log_prob: float | None
    """Natural log. One piece: log P(piece) at the mask, as the fill-mask pipeline's ``targets=``.
    Several: the mask widened to one mask per piece, the pieces filled in, and the sum of each piece's
    log-probability with it alone masked (the masked positions' PLL, as joint fillings are scored)."""
    rank: int | None
    """Rank of a one-piece word among the whole vocabulary at the mask (1 = first guess); None for more."""
    note: str = ""

    @property
    def probability(self) -> float | None:
        return None if self.log_prob is None else math.exp(self.log_prob)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "pieces": list(self.pieces), "n_pieces": len(self.pieces),
                "in_vocabulary": bool(self.pieces), "probability": self.probability,
                "log_prob": self.log_prob, "rank": self.rank, "note": self.note}


@dataclass(frozen=True)
class MaskTargets:
    position: int
    """Index of the mask in ``Encoding.tokens``."""
    scores: tuple[TargetScore, ...]

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "targets": [score.to_json() for score in self.scores]}


@dataclass(frozen=True)
class JointFilling:
    token_ids: tuple[int, ...]
    """One per mask, in the order of ``JointFill.positions``."""
    tokens: tuple[str, ...]
    sequence: str
    """The text with every mask filled (special tokens left out)."""
    score: float
    """The masked positions' PLL: sum over the masks of log P(filled token | every other token filled)."""
    log_probs: tuple[float, ...]
    """Each mask's term of ``score``."""

    def to_json(self) -> dict[str, Any]:
        return {"tokens": list(self.tokens), "token_ids": list(self.token_ids), "sequence": self.sequence,
                "score": self.score, "log_probs": list(self.log_probs)}


@dataclass(frozen=True)
class JointFill:
    """Best fillings of all the masks together, found by a beam and ranked by their masked-positions PLL."""

    positions: tuple[int, ...]
    beam: int
    fillings: tuple[JointFilling, ...]
    passes: int
    """Encoder passes the search took beyond the plain analysis (batched: many rows per pass)."""

    def to_json(self) -> dict[str, Any]:
        return {"positions": list(self.positions), "beam": self.beam, "passes": self.passes,
                "fillings": [filling.to_json() for filling in self.fillings]}


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
    log_prob: float = 0.0
    """Natural log of ``probability``: this token's term of the PLL."""
    log_prob_word_l2r: float = 0.0
    """Its term of the word-l2r PLL: the pieces of its word to its right masked too (equal to
    ``log_prob`` for the last piece of a word and for one-piece words)."""

    def to_json(self) -> dict[str, Any]:
        return {"token": self.token, "position": self.position, "log_prob": self.log_prob,
                "surprisal_bits": self.surprisal, "rank": self.rank,
                "log_prob_word_l2r": self.log_prob_word_l2r}


@dataclass(frozen=True)
class Surprisal:
    tokens: tuple[TokenSurprisal, ...]
    pseudo_log_likelihood: float
    """Sum of natural-log probabilities of every real token masked in turn (Salazar et al., 2020)."""
    pll_word_l2r: float = 0.0
    """The same sum with the pieces of a word to the right of the scored one masked too (Kauf & Ivanova
    2023), which removes PLL's bias towards words split into many pieces."""

    def to_json(self) -> dict[str, Any]:
        """The shape ``bertui score`` prints for each sentence (and the export's ``surprisal``)."""
        return {"tokens": [t.to_json() for t in self.tokens], "pll": self.pseudo_log_likelihood,
                "pll_word_l2r": self.pll_word_l2r}


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

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "candidate": self.candidate, "is_next": self.is_next,
                "not_next": self.not_next}


def ranked(candidates: Sequence[str],
           probabilities: Sequence[tuple[float, float]]) -> tuple[RankedCandidate, ...]:
    """The candidates with their (IsNext, NotNext), ranked by IsNext, most likely first."""
    order = sorted(range(len(candidates)), key=lambda i: -probabilities[i][0])
    return tuple(RankedCandidate(rank=rank, candidate=candidates[i], is_next=probabilities[i][0],
                                 not_next=probabilities[i][1], index=i)
                 for rank, i in enumerate(order, start=1))


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

    def to_json(self) -> dict[str, Any]:
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
    targets: tuple[MaskTargets, ...] = ()
    """The request's target words scored at every mask (empty without targets or masks)."""
    joint: JointFill | None = None
    """Joint fillings of all the masks, when the request asked and the text has two or more."""
    alone: tuple[Surprisal, Surprisal] | None = None
    """text_a and text_b each scored alone, when the request asked (None if either has no token)."""
    inside: InsideAnswer | None = None  # the views inside a prediction the request asked for
