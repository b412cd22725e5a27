"""The Engine: one encoder pass per analysis, heads read only where needed, batched NSP ranking.

Stages follow transformers' pipelines (preprocess → forward → postprocess) with plain data between
them. An Engine is not thread-safe: one caller at a time (the model's process, or the CLI). Batches run
within a token budget (``batching``); what the model is comes from ``model_info``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from transformers import BatchEncoding

from bertui.defaults import DEFAULT_MODEL
from bertui.engine.attribution import GradientsAt
from bertui.engine.batching import in_chunks, pad_rows
from bertui.engine.budget import fitted_budget
from bertui.engine.decoding import Decoder
from bertui.engine.encoding import mask_tokens, normalize_masks, to_encoding, tokenize
from bertui.engine.heads import split_heads
from bertui.engine.inside import InsideViews
from bertui.engine.inside_results import GRADIENT_METHODS
from bertui.engine.introspection import attention_maps, embedding_breakdown, whole_words
from bertui.engine.joint import joint_fill
from bertui.engine.loading import Loaded, Progress, load_model
from bertui.engine.model_info import model_info
from bertui.engine.ranking import NextSentenceRanking
from bertui.engine.results import (
    Analysis,
    AnalysisRequest,
    Encoding,
    JointFill,
    MaskPrediction,
    MaskTargets,
    NextSentence,
    Surprisal,
    WordPrediction,
)
from bertui.engine.scoring import Scorer, surprisal, surprisals, target_scores
from bertui.engine.threads import configure_threads
from bertui.errors import InputError, Superseded

MaskAnswers = tuple[tuple[MaskPrediction, ...], tuple[WordPrediction, ...], tuple[MaskTargets, ...],
                    JointFill | None]
Output = Any
"""What a forward returns: last_hidden_state, pooler_output and attentions (or, for a family run whole,
logits): transformers' ModelOutput classes, one per family."""


class Engine(NextSentenceRanking, InsideViews):
    def __init__(self, loaded: Loaded, spec: str) -> None:
        self._loaded = loaded
        self._model = loaded.model
        self._tokenizer = loaded.tokenizer
        self._pad_id = loaded.tokenizer.pad_token_id
        self._decoder = Decoder(loaded.tokenizer)
        self._device = loaded.device
        self._heads = split_heads(loaded.model, has_nsp_head=loaded.has_nsp_head)
        self.budgets = fitted_budget(loaded.device, loaded.config, loaded.dtype)
        self.token_budget = self.budgets.batch
        """Tokens one batched forward may hold: the batch budget until ``go_live`` (tests change it)."""
        self._input_names = set(self._tokenizer.model_input_names)
        if getattr(loaded.config, "type_vocab_size", 0) < 2:
            # One segment embedding or none: RoBERTa-style models ignore segments, and klue/roberta-base
            # pairs one with a BERT tokenizer, whose segment-B ids would index past the table. Every token
            # then takes the model's own default, segment 0, as in pretraining.
            self._input_names.discard("token_type_ids")
        # The attention kernel from_pretrained chose (bertui never asks for one): transformers' default,
        # sdpa where the family supports it, else eager. Restored after a pass that shows attention.
        self._attention_kernel = loaded.model.get_correct_attn_implementation(None)
        self._continuation = self._continuation_ids()
        self.mask_token: str = self._tokenizer.mask_token
        self.should_stop: Callable[[], bool] = _never
        """Asked between batched passes (chunks, masked copies, beam steps): True abandons the call with
        Superseded. A request loop sets it to "a newer request is waiting"."""
        self.passes = 0
        """Encoder forwards run so far, however many rows each batched (tests and benchmarks count them)."""
        self.info = model_info(loaded, spec, has_nsp_head=self._heads.nsp is not None,
                               has_segments="token_type_ids" in self._input_names)

    def _continuation_ids(self) -> torch.Tensor | None:
        """For WordPiece vocabularies, which ids are ``##`` continuations (whole-word masking needs it)."""
        if type(self._tokenizer.backend_tokenizer.model).__name__ != "WordPiece":
            return None
        marks = [False] * self._loaded.config.vocab_size
        for token, token_id in self._tokenizer.get_vocab().items():
            marks[token_id] = token.startswith("##")
        return torch.tensor(marks, dtype=torch.bool, device=self._device)

    @classmethod
    def load(cls, spec: str = DEFAULT_MODEL, device: str = "auto", dtype: str = "float32",
             progress: Progress | None = None, *, trust_remote_code: bool = False,
             leave_core_for_ui: bool = False) -> Engine:
        """Load a hub id, folder or ``demo``; raises ModelLoadError with what to do on failure.

        ``trust_remote_code`` runs the checkpoint's own Python code: never unless a person asked.
        ``leave_core_for_ui``: torch gets one core fewer, so an app's event loop keeps one to itself.
        """
        from transformers.utils import logging

        configure_threads(leave_core_for_ui=leave_core_for_ui)
        # no stderr chatter under a full-screen app or JSON output (transformers leaves these untyped)
        logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        engine = cls(load_model(spec, device=device, dtype=dtype, progress=progress,
                                trust_remote_code=trust_remote_code), spec)
        if progress:
            progress("warming up")
        engine.analyze(AnalysisRequest(request_id=0, text_a=f"warm {engine.mask_token} up", text_b="ok"))
        return engine

    # -- preprocess -------------------------------------------------------------------------------
    def _tokenize(self, text_a: str, text_b: str | None,
                  masked: tuple[int, ...] = ()) -> tuple[BatchEncoding, Encoding]:
        text_a = normalize_masks(text_a, self.mask_token)
        text_b = None if text_b is None else normalize_masks(text_b, self.mask_token)
        batch, truncated = tokenize(self._tokenizer, text_a, text_b, self._loaded.max_length)
        mask_tokens(self._tokenizer, batch, masked)
        return batch, to_encoding(self._tokenizer, batch, truncated)

    def encode(self, text_a: str, text_b: str | None = None) -> Encoding:
        return self._tokenize(text_a, text_b)[1]

    def _model_inputs(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """The inputs this model takes, as [batch, length] tensors on its device."""
        inputs: dict[str, torch.Tensor] = {}
        for name in ("input_ids", "token_type_ids", "attention_mask"):
            if name in self._input_names:
                tensor = torch.as_tensor(batch[name], device=self._device)
                inputs[name] = tensor if tensor.dim() == 2 else tensor.unsqueeze(0)
        return inputs

    # -- forward ----------------------------------------------------------------------------------
    def _forward(self, inputs: dict[str, torch.Tensor], attention: bool = False,
                 hidden: bool = False) -> Output:
        """One pass of the encoder (or of the whole model, for a family outside the head table);
        ``hidden``: with every layer's hidden states (the layer lens and nearest tokens read them).

        Attention weights need the eager attention kernel; it is switched on for this pass only.
        """
        module = self._heads.encoder if self._heads.mlm is not None else self._model
        self.passes += 1
        asked = {"output_hidden_states": True} if hidden else {}
        if not attention:
            return module(**inputs, **asked)
        self._model.set_attn_implementation("eager")
        try:
            return module(**inputs, **asked, output_attentions=True)
        finally:
            self._model.set_attn_implementation(self._attention_kernel)

    def _vocab_logits(self, out: Output, rows: int | list[int] | torch.Tensor,
                      positions: list[int] | torch.Tensor) -> torch.Tensor:
        """Vocabulary logits at (rows, positions) of a pass: the MLM head runs on those positions only."""
        logits: torch.Tensor = out.logits[rows, positions] if self._heads.mlm is None else \
            self._heads.mlm(out.last_hidden_state[rows, positions])
        return logits

    def _check_top_k(self, top_k: int) -> int:
        if top_k < 1:
            raise InputError(f"top-k must be at least 1 (got {top_k})")
        return min(top_k, self.info.vocab_size)

    @torch.inference_mode()
    def analyze(self, request: AnalysisRequest, *, rank: bool = True) -> Analysis:
        """Tokens, top-k per mask and IsNext for the pair, from one encoder pass; ranking of candidates.

        Attention, the embedding breakdown and surprisal are computed only when the request asks.
        ``rank=False`` leaves the ranking (a second, batched forward) out, ``ranking`` None: the app
        shows the masks first and asks ``rank`` afterwards, only if no newer text is waiting.
        """
        return self.analyze_many([request], rank=rank)[0]

    @torch.inference_mode()
    def analyze_many(self, requests: Sequence[AnalysisRequest], *, rank: bool = True) -> list[Analysis]:
        """``analyze`` for many requests, answers in their order: their first passes run as padded batches
        of requests of similar length, each within the token budget (a request asking for attention runs
        alone). What follows the first pass (targets, joint fills, surprisal, ranking) runs per request."""
        started = time.perf_counter()
        tops = [self._check_top_k(request.top_k) for request in requests]
        prepared = [self._tokenize(r.text_a, r.text_b, r.masked) for r in requests]
        answers: dict[int, Analysis] = {}

        def run(chunk: list[int]) -> None:
            rows = pad_rows(self._pad_id, [prepared[i][0] for i in chunk])
            first, hidden = requests[chunk[0]], any(_reads_hidden(requests[i]) for i in chunk)
            from_pass = None
            if _explains_by_gradient(first):  # it runs alone
                out, from_pass = self._kept_forward(rows, hidden=hidden)
            else:
                out = self._forward(self._model_inputs(rows), attention=first.attention, hidden=hidden)
            # The MLM head runs once for every mask of the chunk: one row at a time, its [h, V] weights
            # would be read from memory once per row (at bert-base size a fifth of a stream's time).
            pairs = [(row, p) for row, i in enumerate(chunk) for p in prepared[i][1].mask_positions]
            at_masks = [len(prepared[i][1].mask_positions) for i in chunk]
            logits: Sequence[torch.Tensor | None] = torch.split(self._vocab_logits(
                out, [row for row, _ in pairs], [p for _, p in pairs]).float(), at_masks) if pairs \
                else [None] * len(chunk)
            for row, i in enumerate(chunk):
                answers[i] = self._answer(requests[i], *prepared[i], tops[i], out, row, started, rank=rank,
                                          logits=logits[row], from_pass=from_pass)

        passed = [i for i, r in enumerate(requests) if prepared[i][1].mask_positions or r.attention
                  or _reads_hidden(r) or (r.text_b is not None and self.info.has_nsp_head)]
        alone = any(requests[i].attention or _explains_by_gradient(requests[i]) for i in passed)
        self._in_chunks([len(prepared[i][1].input_ids) for i in passed],
                        lambda chunk: run([passed[c] for c in chunk]), "analysing even one text",
                        most_rows=1 if alone else None)
        for i, request in enumerate(requests):
            if i not in answers:
                answers[i] = self._answer(request, *prepared[i], tops[i], None, 0, started, rank=rank)
        return [answers[i] for i in range(len(requests))]

    def _answer(self, request: AnalysisRequest, batch: BatchEncoding, encoding: Encoding, top_k: int,
                out: Output, row: int, started: float, *, rank: bool,
                logits: torch.Tensor | None = None, from_pass: GradientsAt | None = None) -> Analysis:
        """One request's Analysis from row ``row`` of its first pass ``out`` (None: it needed none), and
        ``logits``, the vocabulary's at its masks ([masks, V]; None without a mask); ``from_pass``: that
        pass kept its graph, for the explanation's backward."""
        inputs = self._model_inputs(batch)
        masks, words, targets, joint = self._mask_answers(request, encoding, inputs, logits, top_k)
        next_sentence = None
        if request.text_b is not None and self._heads.nsp is not None:
            pooled = out.pooler_output[row:row + 1]
            is_next, not_next = self._heads.nsp(pooled).float().softmax(-1)[0].tolist()
            next_sentence = NextSentence(is_next=is_next, not_next=not_next)
        attention = attention_maps(out.attentions, request.attention_layer) if request.attention else None
        ranking = self.rank(request.text_a, request.candidates) if rank and self.info.has_nsp_head else None
        notes = []
        if encoding.truncated:
            notes.append(f"{encoding.truncated} tokens cut at the model's maximum of {self.info.max_length}")
        if top_k < request.top_k:
            notes.append(f"top-k lowered to the vocabulary size, {top_k}")
        return Analysis(
            request_id=request.request_id, encoding=encoding, next_sentence=next_sentence, ranking=ranking,
            elapsed_ms=(time.perf_counter() - started) * 1000, notes=tuple(notes), attention=attention,
            masks=masks, words=words, targets=targets, joint=joint,
            embeddings=(embedding_breakdown(self._heads.encoder, inputs, self.info.model_type)
                        if request.embeddings else None),
            surprisal=self._surprisal(encoding, inputs) if request.surprisal else None,
            alone=self._alone(request.text_a, request.text_b) if request.alone and request.text_b is not None
            else None,
            inside=None if request.inside is None else self._inside(
                request.inside, batch, encoding, () if out is None or out.hidden_states is None else
                tuple(state[row:row + 1] for state in out.hidden_states), masks, top_k, request.targets,
                from_pass),
        )

    def _mask_answers(self, request: AnalysisRequest, encoding: Encoding, inputs: dict[str, torch.Tensor],
                      logits: torch.Tensor | None, top_k: int) -> MaskAnswers:
        """What is read at the masks from their ``logits`` (masks, words, targets, joint fills): nothing
        without a mask."""
        positions = list(encoding.mask_positions)
        if not positions or logits is None:
            return (), (), (), None
        probs = logits.softmax(dim=-1)
        masks = self._decoder.predictions(encoding, probs, top_k)
        words = whole_words(encoding, probs, self._continuation, self._decoder.pieces,
                            self._tokenizer.convert_tokens_to_string, top_k)
        targets: tuple[MaskTargets, ...] = ()
        joint = None
        if request.targets or request.joint:
            log_probs = logits.log_softmax(-1)
            if request.targets:
                targets = target_scores(self._scorer(), encoding, inputs, log_probs, request.targets,
                                        self._tokenizer, self.info.max_length)
            if request.joint and len(positions) > 1:
                joint = self._joint(encoding, inputs, log_probs, max(request.beam, top_k), top_k)
        return masks, words, targets, joint

    def _in_chunks(self, lengths: Sequence[int], run: Callable[[list[int]], None], what: str, *,
                   most_rows: int | None = None, copies: Sequence[int] | None = None) -> None:
        in_chunks(lengths, run, what, budget=self.token_budget, device=self._device, most_rows=most_rows,
                  copies=copies, give_way=self._give_way)

    def go_live(self, should_stop: Callable[[], bool]) -> None:
        """Serve a person typing: work gives way to newer text when ``should_stop()`` says so between
        chunks, and chunks take the live budget, since a newer keystroke waits for the one under way."""
        self.should_stop = should_stop
        self.token_budget = self.budgets.live

    def _give_way(self) -> None:
        if self.should_stop():
            raise Superseded

    def _scorer(self) -> Scorer:
        def logits_at(rows: dict[str, torch.Tensor], row_index: torch.Tensor,
                      positions: torch.Tensor) -> torch.Tensor:
            self._give_way()  # every scorer pass follows another (the first pass, or an earlier chunk)
            return self._vocab_logits(self._forward(rows), row_index, positions)

        return Scorer(logits_at=logits_at, mask_id=self._tokenizer.mask_token_id,
                      token_budget=self.token_budget)

    def _surprisal(self, encoding: Encoding, inputs: dict[str, torch.Tensor]) -> Surprisal:
        return surprisal(self._scorer(), encoding, inputs, self._decoder.piece)

    def _joint(self, encoding: Encoding, inputs: dict[str, torch.Tensor], first: torch.Tensor, width: int,
               top_k: int) -> JointFill:
        return joint_fill(self._scorer(), inputs, encoding.mask_positions, width, top_k,
                          self._decoder.speller(encoding), first=first)

    def _alone(self, text_a: str, text_b: str) -> tuple[Surprisal, Surprisal] | None:
        """Each sentence scored on its own (not as a pair); None when either has no token to score."""
        try:
            return self.score(text_a)[1], self.score(text_b)[1]
        except InputError:
            return None

    @torch.inference_mode()
    def score(self, text_a: str, text_b: str | None = None) -> tuple[Encoding, Surprisal]:
        """Every real token scored with it alone masked (PLL) and word-l2r, in batched passes."""
        return self.score_many([(text_a, text_b)])[0]

    @torch.inference_mode()
    def score_many(self, pairs: Sequence[tuple[str, str | None]]) -> list[tuple[Encoding, Surprisal]]:
        """``score`` for many (text, pair): sentences of similar length padded together, their masked copies
        batched within the token budget; answers in the given order."""
        prepared = [self._tokenize(text_a, text_b) for text_a, text_b in pairs]
        for _, encoding in prepared:
            if not any(not special for special in encoding.special):
                raise InputError("nothing to score: the text has no tokens")
        found: dict[int, tuple[Encoding, Surprisal]] = {}

        def run(chunk: list[int]) -> None:
            inputs = self._model_inputs(pad_rows(self._pad_id, [prepared[i][0] for i in chunk]))
            scored = surprisals(self._scorer(), [prepared[i][1] for i in chunk], inputs, self._decoder.piece)
            for i, surprisal_of_i in zip(chunk, scored):
                found[i] = (prepared[i][1], surprisal_of_i)

        # A sentence's masked copies all have its length: sentences are chunked by their copies' padding.
        self._in_chunks([len(encoding.input_ids) for _, encoding in prepared], run,
                        "scoring even one sentence",
                        copies=[encoding.special.count(False) for _, encoding in prepared])
        return [found[i] for i in range(len(pairs))]


def _never() -> bool:
    return False


def _explains_by_gradient(request: AnalysisRequest) -> bool:
    """Whether the request's Why strip explains by gradient (and its pass can keep its graph for it: not
    with the attention view, whose weights leave as numpy)."""
    return request.inside is not None and request.inside.explain in GRADIENT_METHODS and not request.attention


def _reads_hidden(request: AnalysisRequest) -> bool:
    """Whether the request's views read every layer's hidden states from its pass."""
    return request.inside is not None and (request.inside.lens or request.inside.near)
