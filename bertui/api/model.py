"""``bertui.load`` and the ``Model`` it gives: the engine in this process, lists in, lists out.

Every method takes one text (and answers one result) or a list of texts (and answers ``Results``, in the
list's order). A list goes through the engine's batched paths, as ``bertui CMD --file`` does: fill through
``analyze_many``, score through ``score_many``, nsp through ``rank_many``; texts of similar length are
padded together within the engine's token budget. Never a loop of single calls, except for the views
inside a prediction (``lens``, ``explain``, ``near``): the engine answers those one text at a time (one
forward each, integrated gradients batching their steps inside it), as ``bertui lens --file`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

from bertui.api.inside import Lensed, Nearest, Why
from bertui.api.results import Filled, Info, Item, Ranking, Results, Scored, Tokens
from bertui.defaults import DEFAULT_MODEL, DEFAULT_NEAR, DEFAULT_STEPS, DEFAULT_TOP_K
from bertui.errors import InputError
from bertui.headless.documents import fill_request

if TYPE_CHECKING:
    from bertui.engine.inference import Engine

# A str is a Sequence[str] too: the overloads list the str form first (mypy's overload-overlap, ignored).
Texts = str | Sequence[str]
Pairs = str | Sequence[str | None] | None


def load(spec: str = DEFAULT_MODEL, *, device: str = "auto", dtype: str = "float32",
         trust_remote_code: bool = False) -> Model:
    """Load a hub id, a local folder, or ``"demo"`` (a tiny built-in model with random weights).

    Args:
        spec: what to load, as ``--model`` takes it; a hub model not in the cache is downloaded once
            (its progress drawn on stderr when that is a terminal).
        device: ``auto`` (cuda, then mps, then cpu), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        dtype: ``float32`` (the numbers equal transformers'), ``float16`` or ``bfloat16``.
        trust_remote_code: let a hub checkpoint run its own Python code; only for code you trust.

    Raises ``bertui.errors.ModelLoadError`` saying what to do when the model cannot be loaded.
    """
    from bertui.engine.inference import Engine  # torch is imported here, not by ``import bertui``
    from bertui.headless.fetching import DownloadBar

    with DownloadBar() as shown:  # a hub model's download, on stderr when it is a terminal (as the CLI)
        return Model(Engine.load(spec, device=device, dtype=dtype, progress=shown,
                                 trust_remote_code=trust_remote_code))


def _listed(texts: Texts, pair: Pairs, what: str) -> tuple[list[str], list[str | None]]:
    """(texts, one pair per text): a lone text is a list of one; a lone pair goes with every text."""
    listed = [texts] if isinstance(texts, str) else list(texts)
    if not all(isinstance(text, str) for text in listed):
        raise InputError(f"{what} takes a text or a list of texts")
    pairs = [pair] * len(listed) if pair is None or isinstance(pair, str) else list(pair)
    if len(pairs) != len(listed):
        raise InputError(f"{len(pairs)} pairs for {len(listed)} texts: give one pair per text, "
                         "or one for all")
    return listed, pairs


def _targets(targets: Sequence[str]) -> tuple[str, ...]:
    """A lone word is a list of one."""
    return (targets,) if isinstance(targets, str) else tuple(targets)


def _which(number: int, count: int) -> str:
    """What an error of a list's text starts with."""
    return f"text {number} of {count}: "


def _answer(texts: Texts, answers: list[Item]) -> Item | Results[Item]:
    """One answer for one text, ``Results`` for a list."""
    return answers[0] if isinstance(texts, str) else Results(answers)


def _each(texts: Texts, pair: Pairs, what: str,
          answer: Callable[[str, str | None], Item]) -> Item | Results[Item]:
    """``answer`` for every text in turn (the engine has no batched form of it); an InputError names the
    text of a list that caused it."""
    listed, pairs = _listed(texts, pair, what)
    answers = []
    for number, (text, text_b) in enumerate(zip(listed, pairs), 1):
        try:
            answers.append(answer(text, text_b))
        except InputError as error:
            if isinstance(texts, str):
                raise
            raise InputError(f"{_which(number, len(listed))}{error}") from None
    return _answer(texts, answers)


class Model:
    """A loaded model. ``model.engine`` is bertui's Engine, for what this API does not cover."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        info = self.engine.info
        return f"<bertui.Model {info.spec!r} ({info.architecture}, {info.device}, {info.dtype})>"

    @property
    def info(self) -> Info:
        """What the model is: architecture, sizes, parameters, heads, device, dtype (``bertui info``)."""
        return Info(self.engine.info)

    def provenance(self) -> dict[str, Any]:
        """The ``provenance`` block the command line adds to every document (versions, weights' sha256)."""
        from bertui.headless.provenance import provenance

        return provenance(self.engine.info)

    @overload
    def fill(self, texts: str, *, pair: Pairs = ..., top_k: int = ...,  # type: ignore[overload-overlap]
             targets: Sequence[str] = ..., beam: int = ..., joint: bool = ...) -> Filled: ...
    @overload
    def fill(self, texts: Sequence[str], *, pair: Pairs = ..., top_k: int = ...,
             targets: Sequence[str] = ..., beam: int = ..., joint: bool = ...) -> Results[Filled]: ...
    def fill(self, texts: Texts, *, pair: Pairs = None, top_k: int = DEFAULT_TOP_K,
             targets: Sequence[str] = (), beam: int = 0, joint: bool = True) -> Filled | Results[Filled]:
        """Top-k predictions at every mask (``[MASK]``, ``<mask>``: the model's own mask token).

        ``targets`` are scored at every mask; ``joint`` searches the fillings of two or more masks together
        (a beam of width ``beam``, never below ``top_k``). Raises InputError for a text with no mask.
        """
        listed, pairs = _listed(texts, pair, "fill")
        targets = _targets(targets)
        requests = [fill_request(text, text_b, top_k=top_k, targets=targets, beam=beam, joint=joint)
                    for text, text_b in zip(listed, pairs)]
        analyses = self.engine.analyze_many(requests, rank=False)
        mask = self.engine.mask_token
        for number, analysis in enumerate(analyses, 1):
            if not analysis.masks:
                where = "" if isinstance(texts, str) else _which(number, len(listed))
                raise InputError(f"{where}no mask in the text: write {mask} where a word should be predicted")
        return _answer(texts, [Filled(text, text_b, analysis, mask)
                               for text, text_b, analysis in zip(listed, pairs, analyses)])

    @overload
    def score(self, texts: str, *, pair: Pairs = ...) -> Scored: ...  # type: ignore[overload-overlap]
    @overload
    def score(self, texts: Sequence[str], *, pair: Pairs = ...) -> Results[Scored]: ...
    def score(self, texts: Texts, *, pair: Pairs = None) -> Scored | Results[Scored]:
        """Pseudo-log-likelihood of each sentence (every token masked in turn), the word-l2r variant, and
        each token's log-probability, surprisal and rank."""
        listed, pairs = _listed(texts, pair, "score")
        found = self.engine.score_many(list(zip(listed, pairs)))
        return _answer(texts, [Scored(text, text_b, *answer)
                               for text, text_b, answer in zip(listed, pairs, found)])

    @overload
    def nsp(self, first: str, candidates: Sequence[str]) -> Ranking: ...  # type: ignore[overload-overlap]
    @overload
    def nsp(self, first: Sequence[str], candidates: Sequence[str]) -> Results[Ranking]: ...
    def nsp(self, first: Texts, candidates: Sequence[str]) -> Ranking | Results[Ranking]:
        """``candidates`` ranked by the next-sentence head's IsNext probability after ``first`` (after each
        first sentence of a list); InputError for a model without that head (only BERT has one)."""
        listed, _ = _listed(first, None, "nsp")
        candidates = [candidates] if isinstance(candidates, str) else list(candidates)
        if not candidates:
            raise InputError("no candidates: give the sentences that might follow")
        rankings = self.engine.rank_many([(text, candidates) for text in listed])
        return _answer(first, [Ranking(text, ranking) for text, ranking in zip(listed, rankings)])

    @overload
    def tokenize(self, texts: str, *, pair: Pairs = ...) -> Tokens: ...  # type: ignore[overload-overlap]
    @overload
    def tokenize(self, texts: Sequence[str], *, pair: Pairs = ...) -> Results[Tokens]: ...
    def tokenize(self, texts: Texts, *, pair: Pairs = None) -> Tokens | Results[Tokens]:
        """The model's own tokens (WordPiece, BPE...), ids, segments, attention mask and offsets."""
        listed, pairs = _listed(texts, pair, "tokenize")
        return _answer(texts, [Tokens(text, text_b, self.engine.encode(text, text_b))
                               for text, text_b in zip(listed, pairs)])

    @overload
    def lens(self, texts: str, *, pair: Pairs = ..., top_k: int = ...,  # type: ignore[overload-overlap]
             targets: Sequence[str] = ...) -> Lensed: ...
    @overload
    def lens(self, texts: Sequence[str], *, pair: Pairs = ..., top_k: int = ...,
             targets: Sequence[str] = ...) -> Results[Lensed]: ...
    def lens(self, texts: Texts, *, pair: Pairs = None, top_k: int = DEFAULT_TOP_K,
             targets: Sequence[str] = ()) -> Lensed | Results[Lensed]:
        """The layer lens (``bertui lens``): the model's own masked-LM head read at every layer, the
        embeddings first, at every mask: each layer's top-k, the final answer's rank there, KL(final ‖
        layer), the layer where the answer forms, and each of ``targets`` followed through the layers.

        One forward per text (a list is a loop of them). Raises InputError for a text with no mask.
        """
        targets = _targets(targets)
        return _each(texts, pair, "lens", lambda text, text_b: Lensed(
            text, text_b, self.engine.lens(text, text_b, top_k=top_k, targets=targets)))

    @overload
    def explain(self, texts: str, *, pair: Pairs = ..., method: str = ...,  # type: ignore[overload-overlap]
                target: str | None = ..., contrast: str | None = ..., steps: int = ...) -> Why: ...
    @overload
    def explain(self, texts: Sequence[str], *, pair: Pairs = ..., method: str = ...,
                target: str | None = ..., contrast: str | None = ..., steps: int = ...) -> Results[Why]: ...
    def explain(self, texts: Texts, *, pair: Pairs = None, method: str = "grad-input",
                target: str | None = None, contrast: str | None = None,
                steps: int = DEFAULT_STEPS) -> Why | Results[Why]:
        """Why each mask's prediction (``bertui explain``): every input token scored for the log-probability
        of ``target`` (default: the mask's top-1) at that mask, or of ``target`` rather than ``contrast``
        (log p(target) − log p(contrast)). ``method``: ``grad-input``, ``grad-norm``, ``ig`` (integrated
        gradients, ``steps`` Gauss–Legendre steps, batched) or ``rollout`` (attention rollout).

        Per text in turn (a list is a loop). Raises InputError for a text with no mask, an unknown method,
        or a target or contrast that is not one vocabulary piece.
        """
        return _each(texts, pair, "explain", lambda text, text_b: Why(text, text_b, self.engine.explain(
            text, text_b, method=method, target=target, contrast=contrast, steps=steps)))

    @overload
    def near(self, texts: str, *, pair: Pairs = ..., layer: int | None = ...,  # type: ignore[overload-overlap]
             k: int = ...) -> Nearest: ...
    @overload
    def near(self, texts: Sequence[str], *, pair: Pairs = ..., layer: int | None = ...,
             k: int = ...) -> Results[Nearest]: ...
    def near(self, texts: Texts, *, pair: Pairs = None, layer: int | None = None,
             k: int = DEFAULT_NEAR) -> Nearest | Results[Nearest]:
        """What lies near each token (``bertui near``): the ``k`` nearest vocabulary entries by cosine to its
        row of the input embedding table, and to its hidden state at ``layer`` (0: the embeddings; default
        the last) put through the masked-LM head's transform, among the output embeddings.

        One forward per text (a list is a loop of them). Raises InputError for a layer the model lacks.
        """
        return _each(texts, pair, "near", lambda text, text_b: Nearest(
            text, text_b, self.engine.near(text, text_b, layer=layer, k=k)))
