"""The Engine: one encoder pass per analysis, heads read only where needed, batched NSP ranking.

Stages follow transformers' pipelines (preprocess → forward → postprocess) with plain data between
them. An Engine is not thread-safe: one caller at a time (the app's single worker thread, or the CLI).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch

from bertui.defaults import DEFAULT_MODEL, DEFAULT_TOP_K
from bertui.engine.budget import fitted_budget
from bertui.engine.encoding import mask_tokens, normalize_masks, to_encoding, tokenize
from bertui.engine.heads import split_heads
from bertui.engine.introspection import attention_maps, embedding_breakdown, whole_words
from bertui.engine.joint import joint_fill
from bertui.engine.loading import NSP_PRETRAINING_CLASSES, Loaded, Progress, load_model
from bertui.engine.results import (
    Analysis,
    AnalysisRequest,
    Encoding,
    JointFill,
    MaskPrediction,
    MaskTargets,
    ModelInfo,
    NextSentence,
    Prediction,
    RankedCandidate,
    Superseded,
    Surprisal,
    WordPrediction,
)
from bertui.engine.scoring import Scorer, surprisal, surprisals, target_scores
from bertui.engine.threads import configure_threads
from bertui.errors import InputError


def no_nsp_reason(loaded: Loaded, spec: str) -> str:
    """Why ``loaded`` cannot score next sentences, told apart for a BERT whose checkpoint lacks the
    weights (a pretraining architecture, so it looks as if it should have them) and other families."""
    if loaded.nsp_loaded:
        return ""
    if type(loaded.model).__name__ in NSP_PRETRAINING_CLASSES:
        saved_as = ", ".join(loaded.config.architectures or ()) or "no architecture"
        if any(name in NSP_PRETRAINING_CLASSES for name in loaded.config.architectures or ()):
            return (f"{spec!r} is a BERT pretraining checkpoint ({saved_as}) but its next-sentence weights "
                    f"are missing ({', '.join(loaded.nsp_missing)}), so next-sentence scores cannot be "
                    "computed: the checkpoint is incomplete; the masked-LM head is intact")
        return (f"{spec!r} has no next-sentence head in its weights: a BERT saved without them ({saved_as}; "
                f"missing {', '.join(loaded.nsp_missing)}), so next-sentence scores cannot be computed; "
                "a full pretraining checkpoint (such as the original bert-base-uncased files) has them")
    return (f"{spec!r} ({loaded.config.model_type}) has no next-sentence head: next-sentence prediction "
            "was a pretraining task of BERT only (RoBERTa, DistilBERT, ELECTRA, DeBERTa, ModernBERT and "
            "MPNet dropped it; ALBERT's sentence-order head is not used here)")


class Engine:
    def __init__(self, loaded: Loaded, spec: str) -> None:
        self._loaded = loaded
        self._model = loaded.model
        self._tokenizer = loaded.tokenizer
        self._device = loaded.device
        self._heads = split_heads(loaded.model, nsp_loaded=loaded.nsp_loaded)
        self.token_budget = fitted_budget(loaded.device, loaded.config, loaded.dtype)
        """Tokens one batched forward may hold (bertui.engine.budget); tests and benchmarks change it."""
        self._input_names = set(self._tokenizer.model_input_names)
        if getattr(loaded.config, "type_vocab_size", 0) < 2:
            # One segment embedding or none: RoBERTa-style models ignore segments, and klue/roberta-base
            # pairs one with a BERT tokenizer, whose segment-B ids would index past the table. Every token
            # then takes the model's own default, segment 0, as in pretraining.
            self._input_names.discard("token_type_ids")
        self._attn_implementation = loaded.model.config._attn_implementation
        self._continuation = self._continuation_ids()
        self._rank_cache: tuple[tuple[str, tuple[str, ...]], tuple[RankedCandidate, ...]] | None = None
        self.mask_token: str = self._tokenizer.mask_token
        self.should_stop: Callable[[], bool] = _never
        """Asked between batched passes (chunks, masked copies, beam steps): True abandons the call with
        Superseded. A request loop sets it to "a newer request is waiting"."""
        self.passes = 0
        """Encoder forwards run so far, however many rows each batched (tests and benchmarks count them)."""
        self.info = self._describe(spec)

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
        logging.set_verbosity_error()  # no stderr chatter under a full-screen app or JSON output
        logging.disable_progress_bar()
        engine = cls(load_model(spec, device=device, dtype=dtype, progress=progress,
                                trust_remote_code=trust_remote_code), spec)
        if progress:
            progress("warming up")
        engine.analyze(AnalysisRequest(request_id=0, text_a=f"warm {engine.mask_token} up", text_b="ok"))
        return engine

    @property
    def has_nsp(self) -> bool:
        return self._heads.nsp is not None

    # -- preprocess -------------------------------------------------------------------------------
    def _tokenize(self, text_a: str, text_b: str | None, masked: tuple[int, ...] = ()):
        text_a = normalize_masks(text_a, self.mask_token)
        text_b = None if text_b is None else normalize_masks(text_b, self.mask_token)
        batch, truncated = tokenize(self._tokenizer, text_a, text_b, self._loaded.max_length)
        mask_tokens(self._tokenizer, batch, masked)
        return batch, to_encoding(self._tokenizer, batch, truncated)

    def encode(self, text_a: str, text_b: str | None = None) -> Encoding:
        return self._tokenize(text_a, text_b)[1]

    def _model_inputs(self, batch) -> dict[str, torch.Tensor]:
        """The inputs this model takes, as [batch, length] tensors on its device."""
        inputs = {}
        for name in ("input_ids", "token_type_ids", "attention_mask"):
            if name in self._input_names:
                tensor = torch.as_tensor(batch[name], device=self._device)
                inputs[name] = tensor if tensor.dim() == 2 else tensor.unsqueeze(0)
        return inputs

    # -- forward ----------------------------------------------------------------------------------
    def _forward(self, inputs: dict[str, torch.Tensor], attention: bool = False):
        """One pass of the encoder (or of the whole model, for a family outside the head table).

        Attention weights need the eager attention kernel; it is switched on for this pass only.
        """
        module = self._heads.encoder if self._heads.mlm is not None else self._model
        self.passes += 1
        if not attention:
            return module(**inputs)
        self._model.set_attn_implementation("eager")
        try:
            return module(**inputs, output_attentions=True)
        finally:
            self._model.set_attn_implementation(self._attn_implementation)

    def _vocab_logits(self, out, rows, positions) -> torch.Tensor:
        """Vocabulary logits at (rows, positions) of a pass: the MLM head runs on those positions only."""
        if self._heads.mlm is None:
            return out.logits[rows, positions]
        return self._heads.mlm(out.last_hidden_state[rows, positions])

    # -- postprocess ------------------------------------------------------------------------------
    def _predictions(self, encoding: Encoding, probs: torch.Tensor, top_k: int) -> tuple[MaskPrediction, ...]:
        scores, token_ids = probs.topk(min(top_k, probs.shape[-1]), dim=-1)
        ids = list(encoding.input_ids)
        kept = [i for i, special in enumerate(encoding.special) if not special]
        decode = self._tokenizer.decode
        masks = []
        for position, row_scores, row_ids in zip(encoding.mask_positions, scores.tolist(),
                                                 token_ids.tolist()):
            predictions = []
            for score, token_id in zip(row_scores, row_ids):
                filled = ids.copy()
                filled[position] = token_id
                predictions.append(Prediction(score=score, token=token_id, token_str=decode([token_id]),
                                              sequence=decode([filled[i] for i in kept])))
            masks.append(MaskPrediction(position=position, predictions=tuple(predictions)))
        return tuple(masks)

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
        answers: list[Analysis | None] = [None] * len(requests)

        def run(chunk: list[int]) -> None:
            inputs = self._model_inputs(self._pad([prepared[i][0] for i in chunk]))
            out = self._forward(inputs, attention=requests[chunk[0]].attention)
            for row, i in enumerate(chunk):
                answers[i] = self._answer(requests[i], *prepared[i], tops[i], out, row, started, rank=rank)

        passed = [i for i, r in enumerate(requests) if prepared[i][1].mask_positions or r.attention
                  or (r.text_b is not None and self.has_nsp)]
        alone = any(requests[i].attention for i in passed)
        self.in_chunks([len(prepared[i][1].input_ids) for i in passed],
                       lambda chunk: run([passed[c] for c in chunk]), "analysing even one text",
                       most_rows=1 if alone else None)
        for i, request in enumerate(requests):
            if answers[i] is None:
                answers[i] = self._answer(request, *prepared[i], tops[i], None, 0, started, rank=rank)
        return answers

    def _pad(self, batches: list) -> dict[str, list[list[int]]]:
        """Rows of model inputs, right-padded to the longest (padding unattended)."""
        length = max(len(batch["input_ids"]) for batch in batches)
        pads = {"input_ids": self._tokenizer.pad_token_id or 0, "token_type_ids": 0, "attention_mask": 0}
        return {name: [list(batch[name]) + [pad] * (length - len(batch[name])) for batch in batches]
                for name, pad in pads.items()}

    def _answer(self, request: AnalysisRequest, batch, encoding: Encoding, top_k: int, out, row: int,
                started: float, *, rank: bool) -> Analysis:
        """One request's Analysis from row ``row`` of its first pass ``out`` (None: it needed none)."""
        inputs = self._model_inputs(batch)
        positions = list(encoding.mask_positions)
        masks: tuple[MaskPrediction, ...] = ()
        words: tuple[WordPrediction, ...] = ()
        targets: tuple[MaskTargets, ...] = ()
        next_sentence = attention = joint = None
        if positions:
            logits = self._vocab_logits(out, row, positions).float()
            probs = logits.softmax(dim=-1)
            masks = self._predictions(encoding, probs, top_k)
            words = whole_words(encoding, probs, self._continuation, self._tokenizer.convert_ids_to_tokens,
                                self._tokenizer.convert_tokens_to_string, top_k)
            log_probs = logits.log_softmax(-1) if request.targets or request.joint else None
            if request.targets:
                targets = target_scores(self._scorer(), encoding, inputs, log_probs, request.targets,
                                        self._tokenizer, self.info.max_length)
            if request.joint and len(positions) > 1:
                joint = self._joint(encoding, inputs, log_probs, max(request.beam, top_k), top_k)
        if request.text_b is not None and self.has_nsp:
            pooled = out.pooler_output[row:row + 1]
            is_next, not_next = self._heads.nsp(pooled).float().softmax(-1)[0].tolist()
            next_sentence = NextSentence(is_next=is_next, not_next=not_next)
        if request.attention:
            attention = attention_maps(out.attentions, request.attention_layer)
        ranking = self.rank(request.text_a, request.candidates) if rank and self.has_nsp else None
        notes = []
        if encoding.truncated:
            notes.append(f"{encoding.truncated} tokens cut at the model's maximum of {self.info.max_length}")
        if top_k < request.top_k:
            notes.append(f"top-k lowered to the vocabulary size, {top_k}")
        return Analysis(
            request_id=request.request_id, encoding=encoding, masks=masks, next_sentence=next_sentence,
            ranking=ranking, elapsed_ms=(time.perf_counter() - started) * 1000, notes=tuple(notes),
            words=words, attention=attention,
            embeddings=(embedding_breakdown(self._heads.encoder, inputs, self.info.model_type)
                        if request.embeddings else None),
            surprisal=self._surprisal(encoding, inputs) if request.surprisal else None,
            targets=targets, joint=joint,
            alone=self._alone(request.text_a, request.text_b) if request.alone and request.text_b is not None
            else None,
        )

    def in_chunks(self, lengths: Sequence[int], run: Callable[[list[int]], None], what: str, *,
                  most_rows: int | None = None) -> None:
        """``run(chunk)`` over the indices of ``lengths`` sorted by length, in chunks whose rows × longest
        length fit the token budget; a chunk that runs out of memory is retried in halves, and ``what``
        ("ranking even one candidate") says what failed when even a single row does not fit."""
        by_length = sorted(range(len(lengths)), key=lambda i: lengths[i])
        most_rows = most_rows or len(lengths)
        start = 0
        while start < len(by_length):
            # The longest row of a chunk is its last (sorted), so rows × that length bounds the chunk.
            end = start + 1
            while end < len(by_length) and end - start < most_rows and \
                    (end + 1 - start) * lengths[by_length[end]] <= self.token_budget:
                end += 1
            chunk = by_length[start:end]
            if start:
                self._give_way()
            try:
                run(chunk)
            except RuntimeError as error:  # torch.OutOfMemoryError is a RuntimeError too
                if not _out_of_memory(error):
                    raise
                self._release_cached_memory()
                if len(chunk) == 1:
                    raise InputError(
                        f"out of memory on {self._device} {what} at a time "
                        f"({lengths[chunk[0]]} tokens): use shorter sentences, "
                        "--dtype bfloat16 or float16, or --device cpu") from None
                most_rows = len(chunk) // 2
                continue
            start = end

    def _give_way(self) -> None:
        if self.should_stop():
            raise Superseded

    def _scorer(self) -> Scorer:
        def logits_at(rows: dict[str, torch.Tensor], row_index: torch.Tensor, positions: torch.Tensor):
            self._give_way()  # every scorer pass follows another (the first pass, or an earlier chunk)
            return self._vocab_logits(self._forward(rows), row_index, positions)

        return Scorer(logits_at=logits_at, mask_id=self._tokenizer.mask_token_id,
                      token_budget=self.token_budget)

    def _surprisal(self, encoding: Encoding, inputs: dict[str, torch.Tensor]) -> Surprisal:
        return surprisal(self._scorer(), encoding, inputs, self._tokenizer.convert_ids_to_tokens)

    def _joint(self, encoding: Encoding, inputs: dict[str, torch.Tensor], first: torch.Tensor, width: int,
               top_k: int) -> JointFill:
        positions = encoding.mask_positions
        kept = [i for i, special in enumerate(encoding.special) if not special]
        decode = self._tokenizer.decode

        def describe(ids: list[int]) -> tuple[tuple[str, ...], str]:
            return tuple(decode([ids[p]]) for p in positions), decode([ids[i] for i in kept])

        return joint_fill(self._scorer(), inputs, positions, width, top_k, describe, first=first)

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
        found: list[tuple[Encoding, Surprisal] | None] = [None] * len(pairs)

        def run(chunk: list[int]) -> None:
            inputs = self._model_inputs(self._pad([prepared[i][0] for i in chunk]))
            scored = surprisals(self._scorer(), [prepared[i][1] for i in chunk], inputs,
                                self._tokenizer.convert_ids_to_tokens)
            for i, surprisal_of_i in zip(chunk, scored):
                found[i] = (prepared[i][1], surprisal_of_i)

        self.in_chunks([len(encoding.input_ids) for _, encoding in prepared], run,
                       "scoring even one sentence")
        return found

    def fill(self, text_a: str, text_b: str | None = None,
             top_k: int = DEFAULT_TOP_K) -> tuple[MaskPrediction, ...]:
        """Top-k predictions for every mask; InputError when the text has none."""
        analysis = self.analyze(AnalysisRequest(request_id=0, text_a=text_a, text_b=text_b, top_k=top_k))
        if not analysis.masks:
            raise InputError(f"no mask in the text: write {self.mask_token} where a word should be predicted")
        return analysis.masks

    def next_sentence(self, text_a: str, text_b: str) -> NextSentence:
        ranked = self.rank(text_a, (text_b,))
        return NextSentence(is_next=ranked[0].is_next, not_next=ranked[0].not_next)

    @torch.inference_mode()
    def rank(self, first: str, candidates: Sequence[str]) -> tuple[RankedCandidate, ...]:
        """Candidates ranked by IsNext after ``first``: padded batches, sorted by length, chunked."""
        if not self.has_nsp:
            raise InputError(self.info.no_nsp_reason)
        key = (first, tuple(candidates))
        if self._rank_cache and self._rank_cache[0] == key:
            return self._rank_cache[1]
        ranked = _ranked(candidates, self._is_next_batched([(first, c) for c in candidates]))
        self._rank_cache = (key, ranked)
        return ranked

    @torch.inference_mode()
    def rank_many(self, lists: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[RankedCandidate, ...]]:
        """``rank`` for many (first, candidates), every pair of them batched together."""
        if not self.has_nsp:
            raise InputError(self.info.no_nsp_reason)
        pairs = [(first, c) for first, candidates in lists for c in candidates]
        probabilities = iter(self._is_next_batched(pairs))
        return [_ranked(candidates, [next(probabilities) for _ in candidates]) for _, candidates in lists]

    def _is_next_batched(self, pairs: list[tuple[str, str]]) -> list[tuple[float, float]]:
        """[IsNext, NotNext] of each (first, candidate), in padded batches sorted by length."""
        if not pairs:
            return []
        encoded = self._tokenizer([normalize_masks(first, self.mask_token) for first, _ in pairs],
                                  [normalize_masks(candidate, self.mask_token) for _, candidate in pairs],
                                  truncation=True, max_length=self._loaded.max_length,
                                  return_token_type_ids=True)
        rows = [{name: encoded[name][i] for name in ("input_ids", "token_type_ids", "attention_mask")}
                for i in range(len(pairs))]
        results: list[tuple[float, float]] = [(0.0, 0.0)] * len(rows)

        def run(chunk: list[int]) -> None:
            for i, (is_next, not_next) in zip(chunk, self._is_next_chunk([rows[i] for i in chunk])):
                results[i] = (is_next, not_next)

        self.in_chunks([len(row["input_ids"]) for row in rows], run, "ranking even one candidate")
        return results

    def _is_next_chunk(self, rows: list[dict[str, list[int]]]) -> list[list[float]]:
        """[IsNext, NotNext] of each (already tokenized) pair, from one padded forward."""
        padded = self._tokenizer.pad(rows, return_tensors="pt")
        out = self._heads.encoder(**self._model_inputs(padded))
        return self._heads.nsp(out.pooler_output).float().softmax(-1).tolist()

    def _release_cached_memory(self) -> None:
        """Give the accelerator's cached blocks back after an out-of-memory, before a smaller retry."""
        if self._device.type == "cuda":
            torch.cuda.empty_cache()
        elif self._device.type == "mps":
            torch.mps.empty_cache()

    def _describe(self, spec: str) -> ModelInfo:
        config, tokenizer = self._loaded.config, self._tokenizer
        return ModelInfo(
            spec=spec,
            name_or_path=self._loaded.source,
            architecture=type(self._model).__name__,
            model_type=config.model_type,
            layers=int(config.num_hidden_layers),
            hidden_size=int(config.hidden_size),
            heads=int(config.num_attention_heads),
            intermediate_size=int(getattr(config, "intermediate_size", None)
                                  or getattr(config, "hidden_dim", 0)),
            vocab_size=int(config.vocab_size),
            max_length=self._loaded.max_length,
            parameters=sum(p.numel() for p in self._model.parameters()),
            device=str(self._device),
            dtype=str(self._loaded.dtype).removeprefix("torch."),
            has_mlm_head=True,
            has_nsp_head=self.has_nsp,
            tokenizer_class=type(tokenizer).__name__,
            tokenizer_fast=bool(tokenizer.is_fast),
            mask_token=self.mask_token,
            is_demo=self._loaded.is_demo,
            load_seconds=round(self._loaded.seconds, 3),
            has_segments="token_type_ids" in self._input_names,
            no_nsp_reason=no_nsp_reason(self._loaded, spec),
        )


def _never() -> bool:
    return False


def _ranked(candidates: Sequence[str],
            probabilities: list[tuple[float, float]]) -> tuple[RankedCandidate, ...]:
    order = sorted(range(len(candidates)), key=lambda i: -probabilities[i][0])
    return tuple(RankedCandidate(rank=rank, candidate=candidates[i], is_next=probabilities[i][0],
                                 not_next=probabilities[i][1], index=i)
                 for rank, i in enumerate(order, start=1))


def _out_of_memory(error: RuntimeError) -> bool:
    """CUDA's OutOfMemoryError, MPS's and the CPU allocator's failures all say so in their message."""
    text = str(error).lower()
    return isinstance(error, getattr(torch, "OutOfMemoryError", ())) or "out of memory" in text \
        or "can't allocate memory" in text
