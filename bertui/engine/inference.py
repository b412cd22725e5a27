"""The Engine: one encoder pass per analysis, heads read only where needed, batched NSP ranking.

Stages follow transformers' pipelines (preprocess → forward → postprocess) with plain data between
them. An Engine is not thread-safe: one caller at a time (the app's single worker thread, or the CLI).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from bertui.engine.encoding import normalize_masks, to_encoding, tokenize
from bertui.engine.errors import InputError
from bertui.engine.heads import split_heads
from bertui.engine.loading import DEFAULT_MODEL, Loaded, Progress, load_model
from bertui.engine.results import (
    Analysis,
    AnalysisRequest,
    Encoding,
    MaskPrediction,
    ModelInfo,
    NextSentence,
    Prediction,
    RankedCandidate,
)

# Tokens (rows × padded length) in one NSP ranking forward: bounds memory for any list length.
RANK_TOKEN_BUDGET = 16384
NO_NSP = ("this model has no next-sentence head: NSP exists only in BERT pretraining checkpoints "
          "(e.g. bert-base-uncased), not in RoBERTa, DistilBERT, ALBERT, ELECTRA or MLM-only BERTs")


class Engine:
    def __init__(self, loaded: Loaded, spec: str) -> None:
        self._loaded = loaded
        self._model = loaded.model
        self._tokenizer = loaded.tokenizer
        self._device = loaded.device
        self._heads = split_heads(loaded.model, nsp_loaded=loaded.nsp_loaded)
        self._input_names = set(self._tokenizer.model_input_names)
        self._rank_cache: tuple[tuple[str, tuple[str, ...]], tuple[RankedCandidate, ...]] | None = None
        self.mask_token: str = self._tokenizer.mask_token
        self.info = self._describe(spec)

    @classmethod
    def load(cls, spec: str = DEFAULT_MODEL, device: str = "auto", dtype: str = "float32",
             progress: Progress | None = None) -> Engine:
        """Load a hub id, folder or ``demo``; raises ModelLoadError with what to do on failure."""
        from transformers.utils import logging

        logging.set_verbosity_error()  # no stderr chatter under a full-screen app or JSON output
        logging.disable_progress_bar()
        engine = cls(load_model(spec, device=device, dtype=dtype, progress=progress), spec)
        if progress:
            progress("warming up")
        engine.analyze(AnalysisRequest(request_id=0, text_a=f"warm {engine.mask_token} up", text_b="ok"))
        return engine

    @property
    def has_nsp(self) -> bool:
        return self._heads.nsp is not None

    # -- preprocess -------------------------------------------------------------------------------
    def _tokenize(self, text_a: str, text_b: str | None):
        text_a = normalize_masks(text_a, self.mask_token)
        text_b = None if text_b is None else normalize_masks(text_b, self.mask_token)
        batch, truncated = tokenize(self._tokenizer, text_a, text_b, self._loaded.max_length)
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
    def _mask_logits(self, inputs: dict[str, torch.Tensor], positions: Sequence[int]):
        """(vocabulary logits at ``positions`` [n, V], pooled output or None) from one encoder pass."""
        if self._heads.mlm is None:  # a family outside the head table: full forward, then index
            out = self._model(**inputs)
            return out.logits[0, list(positions)], None
        out = self._heads.encoder(**inputs)
        hidden = out.last_hidden_state[0, list(positions)]
        pooled = getattr(out, "pooler_output", None)
        return (self._heads.mlm(hidden) if positions else None), pooled

    # -- postprocess ------------------------------------------------------------------------------
    def _predictions(self, encoding: Encoding, logits: torch.Tensor, top_k: int) -> tuple[MaskPrediction, ...]:
        probs = logits.float().softmax(dim=-1)
        scores, token_ids = probs.topk(min(top_k, probs.shape[-1]), dim=-1)
        ids = list(encoding.input_ids)
        kept = [i for i, special in enumerate(encoding.special) if not special]
        decode = self._tokenizer.decode
        masks = []
        for position, row_scores, row_ids in zip(encoding.mask_positions, scores.tolist(), token_ids.tolist()):
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
    def analyze(self, request: AnalysisRequest) -> Analysis:
        """Tokens, top-k per mask and IsNext for the pair, from one encoder pass; ranking of candidates."""
        started = time.perf_counter()
        top_k = self._check_top_k(request.top_k)
        batch, encoding = self._tokenize(request.text_a, request.text_b)
        want_nsp = request.text_b is not None and self.has_nsp
        masks: tuple[MaskPrediction, ...] = ()
        next_sentence = None
        if encoding.mask_positions or want_nsp:
            logits, pooled = self._mask_logits(self._model_inputs(batch), encoding.mask_positions)
            if encoding.mask_positions:
                masks = self._predictions(encoding, logits, top_k)
            if want_nsp:
                is_next, not_next = self._heads.nsp(pooled).float().softmax(-1)[0].tolist()
                next_sentence = NextSentence(is_next=is_next, not_next=not_next)
        ranking = self.rank(request.text_a, request.candidates) if self.has_nsp else None
        notes = []
        if encoding.truncated:
            notes.append(f"{encoding.truncated} tokens cut at the model's maximum of {self.info.max_length}")
        if top_k < request.top_k:
            notes.append(f"top-k lowered to the vocabulary size, {top_k}")
        return Analysis(request_id=request.request_id, encoding=encoding, masks=masks,
                        next_sentence=next_sentence, ranking=ranking,
                        elapsed_ms=(time.perf_counter() - started) * 1000, notes=tuple(notes))

    def fill(self, text_a: str, text_b: str | None = None, top_k: int = 5) -> tuple[MaskPrediction, ...]:
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
            raise InputError(NO_NSP)
        key = (first, tuple(candidates))
        if self._rank_cache and self._rank_cache[0] == key:
            return self._rank_cache[1]
        probabilities = self._is_next_batched(first, list(candidates))
        order = sorted(range(len(candidates)), key=lambda i: -probabilities[i][0])
        ranked = tuple(RankedCandidate(rank=rank, candidate=candidates[i], is_next=probabilities[i][0],
                                       not_next=probabilities[i][1], index=i)
                       for rank, i in enumerate(order, start=1))
        self._rank_cache = (key, ranked)
        return ranked

    def _is_next_batched(self, first: str, candidates: list[str]) -> list[tuple[float, float]]:
        if not candidates:
            return []
        first = normalize_masks(first, self.mask_token)
        candidates = [normalize_masks(c, self.mask_token) for c in candidates]
        encoded = self._tokenizer([first] * len(candidates), candidates, truncation=True,
                                  max_length=self._loaded.max_length, return_token_type_ids=True)
        rows = [{name: encoded[name][i] for name in ("input_ids", "token_type_ids", "attention_mask")}
                for i in range(len(candidates))]
        by_length = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
        results: list[tuple[float, float]] = [(0.0, 0.0)] * len(rows)
        start = 0
        while start < len(by_length):
            # The longest row of a chunk is its last (sorted), so rows × that length bounds the chunk.
            end = start + 1
            while end < len(by_length) and (end + 1 - start) * len(rows[by_length[end]]["input_ids"]) \
                    <= RANK_TOKEN_BUDGET:
                end += 1
            chunk = by_length[start:end]
            padded = self._tokenizer.pad([rows[i] for i in chunk], return_tensors="pt")
            out = self._heads.encoder(**self._model_inputs(padded))
            probs = self._heads.nsp(out.pooler_output).float().softmax(-1).tolist()
            for i, (is_next, not_next) in zip(chunk, probs):
                results[i] = (is_next, not_next)
            start = end
        return results

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
            intermediate_size=int(getattr(config, "intermediate_size", None) or getattr(config, "hidden_dim", 0)),
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
        )
