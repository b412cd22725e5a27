"""The Engine's views inside a prediction: ``lens``, ``explain`` and ``near`` (mixed into ``Engine``).

Each tokenizes as the plain analysis does and runs one forward of its own (integrated gradients: its
steps, batched within the token budget); the modules that compute are ``lens``, ``attribution`` and
``nearest``, and ``readout`` knows each family's head.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import torch

from bertui.defaults import DEFAULT_NEAR, DEFAULT_STEPS, DEFAULT_TOP_K
from bertui.engine.attribution import (
    Gradients,
    GradientsAt,
    LogProbsAt,
    Question,
    ValueOf,
    backward,
    baseline_ids,
    gradients,
    integrated_gradients,
    rollout,
)
from bertui.engine.inside_results import (
    EXPLAIN_METHODS,
    GRADIENT_METHODS,
    Candidate,
    Explained,
    Explanation,
    InsideAnswer,
    InsideAsk,
    Lens,
    MaskLens,
    Near,
    Neighbour,
    TokenNear,
    Unavailable,
    WordScore,
)
from bertui.engine.introspection import word_groups
from bertui.engine.lens import lens_log_probs, mask_lens
from bertui.engine.nearest import Nearest
from bertui.engine.readout import Readout, readout
from bertui.engine.results import Encoding, MaskPrediction
from bertui.engine.scoring import target_pieces
from bertui.errors import InputError

if TYPE_CHECKING:
    from bertui.engine.heads import ModelHeads
    from bertui.engine.results import ModelInfo

Answer = tuple[int, float, list[float], dict[str, Any]]
"""One mask's explained token, value, per-token scores and IG fields (baseline value, delta, steps)."""
LENS_MASKS_A_CALL = 8
"""Masks whose every layer goes through the head in one call: [layers + 1, 8, V] floats (bert-base: 13 MB),
so a text of many masks never holds them all."""


class InsideViews:
    """What ``Engine`` provides for these methods."""

    _heads: ModelHeads
    _model: Any
    _tokenizer: Any
    token_budget: int
    passes: int
    info: ModelInfo
    mask_token: str

    if TYPE_CHECKING:
        def _tokenize(self, text_a: str, text_b: str | None) -> tuple[Any, Encoding]: ...
        def _model_inputs(self, batch: Any) -> dict[str, torch.Tensor]: ...
        def _forward(self, inputs: dict[str, torch.Tensor], attention: bool = False,
                     hidden: bool = False) -> Any: ...
        def _give_way(self) -> None: ...
        def _vocab_logits(self, out: Any, rows: int | list[int] | torch.Tensor,
                          positions: list[int] | torch.Tensor) -> torch.Tensor: ...

    @cached_property
    def _readout(self) -> Readout | None:
        return readout(self._model, self._heads)

    @cached_property
    def _nearest(self) -> Nearest:
        return Nearest(self._model.get_input_embeddings().weight, self._head_for("near").output_embeddings)

    def _head_for(self, view: str) -> Readout:
        if self._readout is None:
            raise InputError(f"{view} reads the model's masked-LM head apart from its encoder; "
                             f"{self.info.architecture} is outside the families bertui knows the head of")
        return self._readout

    def _masks(self, encoding: Encoding) -> list[int]:
        if not encoding.mask_positions:
            raise InputError(f"no mask in the text: write {self.mask_token} where a word should be predicted")
        return list(encoding.mask_positions)

    def _hidden_states(self, batch: Any) -> tuple[torch.Tensor, ...]:
        return tuple(self._forward(self._model_inputs(batch), hidden=True).hidden_states)

    def _cut(self, encoding: Encoding) -> tuple[str, ...]:
        """The analysis's note on a text cut at the model's maximum length, when it was."""
        if not encoding.truncated:
            return ()
        return (f"{encoding.truncated} tokens cut at the model's maximum of {self.info.max_length}",)

    def _decode(self, ids: list[int]) -> str:
        return str(self._tokenizer.decode(ids))

    @torch.inference_mode()
    def lens(self, text_a: str, text_b: str | None = None, *, top_k: int = DEFAULT_TOP_K,
             targets: Sequence[str] = ()) -> Lens:
        """The model's own masked-LM head read at every layer (embeddings first) at every mask."""
        batch, encoding = self._tokenize(text_a, text_b)
        positions = self._masks(encoding)
        head = self._head_for("the layer lens")
        return self._lens_at(head, self._hidden_states(batch), encoding, positions, top_k, targets)

    def _lens_at(self, head: Readout, hidden_states: Sequence[torch.Tensor], encoding: Encoding,
                 positions: list[int], top_k: int, targets: Sequence[str]) -> Lens:
        """The lens at ``positions`` from a pass's hidden states (row 0 of each)."""
        pieces = {word: target_pieces(self._tokenizer, word) for word in targets}
        one_piece = [(word, ids[0] if len(ids) == 1 else None) for word, ids in pieces.items()]
        notes = self._cut(encoding) + tuple(
            f"{word!r} is {f'{len(ids)} pieces' if ids else 'not in the vocabulary'}: the lens scores only a "
            "word that is one vocabulary entry" for word, ids in pieces.items() if len(ids) != 1)
        masks: list[MaskLens] = []
        for start in range(0, len(positions), LENS_MASKS_A_CALL):
            group = positions[start:start + LENS_MASKS_A_CALL]
            log_probs = lens_log_probs(head, hidden_states, group)
            masks += [mask_lens(position, log_probs[:, row], max(1, top_k), one_piece, self._decode)
                      for row, position in enumerate(group)]
        return Lens(encoding=encoding, layers=len(hidden_states) - 1, masks=tuple(masks), notes=notes)

    @torch.inference_mode()
    def near(self, text_a: str, text_b: str | None = None, *, layer: int | None = None,
             k: int = DEFAULT_NEAR) -> Near:
        """For every real token (masks included), the k nearest vocabulary entries by cosine: to its row
        of the input embedding table, and to its hidden state at ``layer`` (default: the last) put through
        the head's transform, among the output embeddings."""
        batch, encoding = self._tokenize(text_a, text_b)
        return self._near_from(self._head_for("near"), self._hidden_states(batch), encoding, layer, k)

    def _near_from(self, head: Readout, hidden_states: Sequence[torch.Tensor], encoding: Encoding,
                   layer: int | None, k: int) -> Near:
        """``near`` from a pass's hidden states (row 0 of each)."""
        positions = [i for i, special in enumerate(encoding.special) if not special]
        if not positions:
            raise InputError("no tokens: the text is empty")
        last = len(hidden_states) - 1
        layer = last if layer is None else layer
        if not 0 <= layer <= last:
            raise InputError(f"no layer {layer}: this model has layers 0 (the embeddings) to {last}")
        ids = [encoding.input_ids[i] for i in positions]
        table = self._nearest.of_tokens(ids, k)
        context = self._nearest.of_vectors(
            head.transformed(hidden_states[layer][0, positions], last=layer == last), k)

        def neighbours(found: list[tuple[int, float]]) -> tuple[Neighbour, ...]:
            return tuple(Neighbour(token, self._decode([token]), cosine) for token, cosine in found)

        return Near(encoding=encoding, layer=layer, notes=self._cut(encoding), tokens=tuple(
            TokenNear(position, encoding.tokens[position], neighbours(near_table), neighbours(near_context))
            for position, near_table, near_context in zip(positions, table, context)))

    def _kept_forward(self, rows: Mapping[str, Any], *, hidden: bool) -> tuple[Any, GradientsAt]:
        """The analysis's pass for a request whose Why strip explains by gradient: it runs from the word
        embeddings and keeps its graph, so the explanation costs one backward through it (``backward``)
        instead of a forward and a backward of its own. One row: the request runs alone."""
        with torch.inference_mode(False), torch.enable_grad():
            inputs, _ids, embeds = self._embedded(rows)
            embeds.requires_grad_(True)
            out = self._forward({**inputs, "inputs_embeds": embeds}, hidden=hidden)

        def from_pass(positions: Sequence[int], target: int | None, contrast: int | None) -> Gradients:
            with torch.inference_mode(False), torch.enable_grad():
                log_probs = self._vocab_logits(out, 0, list(positions)).float().log_softmax(-1)
                return backward(log_probs, embeds, target, contrast)

        return out, from_pass

    def _inside(self, ask: InsideAsk, batch: Any, encoding: Encoding, hidden_states: Sequence[torch.Tensor],
                masks: Sequence[MaskPrediction], top_k: int, targets: Sequence[str],
                from_pass: GradientsAt | None = None) -> InsideAnswer:
        """The views ``ask`` asks for: the lens and near from the analysis's pass (``hidden_states``, row 0),
        the explanation from that pass's backward (``from_pass``) or passes of its own; ``masks`` name the
        explained tokens by rank. A view that cannot answer says why."""
        def answered(view: Callable[[], Any]) -> Any:
            try:
                return view()
            except InputError as error:
                return Unavailable(str(error))

        def lens() -> Lens:
            shown = [p for p in ask.lens_at if 0 <= p < len(encoding.tokens) and not encoding.special[p]]
            positions = sorted({*encoding.mask_positions, *shown}) or self._masks(encoding)
            return self._lens_at(self._head_for("the layer lens"), hidden_states, encoding, positions, top_k,
                                 targets)

        return InsideAnswer(
            lens=answered(lens) if ask.lens else None,
            near=answered(lambda: self._near_from(self._head_for("near"), hidden_states, encoding,
                                                  ask.near_layer, DEFAULT_NEAR)) if ask.near else None,
            explained=answered(lambda: self._explain_asked(ask, batch, encoding, masks, from_pass))
            if ask.explain is not None else None)

    def _explain_asked(self, ask: InsideAsk, batch: Any, encoding: Encoding,
                       masks: Sequence[MaskPrediction], from_pass: GradientsAt | None) -> Explained:
        """The app's explanation: one mask (``explain_at``, else the first), its prediction of rank
        ``explain_target`` rather than that of rank ``explain_contrast`` (none for rollout)."""
        method = _checked(ask.explain or "")
        self._masks(encoding)
        mask = next((m for m in masks if m.position == ask.explain_at), masks[0])
        ranked = [prediction.token for prediction in mask.predictions]
        target = ranked[min(ask.explain_target, len(ranked) - 1)]
        contrast = None if ask.explain_contrast is None or method == "rollout" else \
            ranked[min(ask.explain_contrast, len(ranked) - 1)]
        if from_pass is None:
            self._give_way()  # passes of its own cost more than the analysis: not for text already replaced
        return self._explained(method, batch, encoding, [mask.position], target,
                               None if contrast == target else contrast, DEFAULT_STEPS, from_pass)

    def _one_piece(self, word: str, role: str) -> int:
        ids = target_pieces(self._tokenizer, word)
        if len(ids) != 1:
            found = "not in the vocabulary" if not ids else f"{len(ids)} pieces"
            raise InputError(f"the {role} {word!r} is {found}: explain needs a word that is one vocabulary "
                             "entry")
        return ids[0]

    def _log_probs_at(self, inputs: dict[str, torch.Tensor]) -> LogProbsAt:
        """(word embeddings [b, L, E], position) → log-probabilities there [b, V]; other inputs as given."""
        def log_probs_at(embeds: torch.Tensor, positions: Sequence[int]) -> torch.Tensor:
            rows = {name: tensor.expand(embeds.shape[0], -1) for name, tensor in inputs.items()}
            device = embeds.device
            at = (torch.arange(embeds.shape[0], device=device), torch.tensor(positions, device=device))
            self.passes += 1
            if self._heads.mlm is None:
                logits: torch.Tensor = self._model(inputs_embeds=embeds, **rows).logits[at]
            else:
                hidden = self._heads.encoder(inputs_embeds=embeds, **rows).last_hidden_state[at]
                logits = self._heads.mlm(hidden)
            return logits.float().log_softmax(-1)

        return log_probs_at

    def explain(self, text_a: str, text_b: str | None = None, *, method: str = "grad-input",
                target: str | None = None, contrast: str | None = None,
                steps: int = DEFAULT_STEPS) -> Explained:
        """Each mask's prediction explained by every input token (see ``attribution``): ``target`` (default:
        the mask's top-1) rather than ``contrast`` when one is given; ``steps`` for integrated gradients."""
        _checked(method)
        if steps < 1:
            raise InputError(f"integrated gradients needs at least 1 step (got {steps})")
        if method == "rollout" and contrast is not None:
            raise InputError("attention rollout does not depend on the predicted token: a contrast says "
                             "nothing there (use grad-input, grad-norm or ig)")
        batch, encoding = self._tokenize(text_a, text_b)
        positions = self._masks(encoding)
        target_id = None if target is None else self._one_piece(target, "target")
        contrast_id = None if contrast is None else self._one_piece(contrast, "contrast")
        return self._explained(method, batch, encoding, positions, target_id, contrast_id, steps)

    @torch.inference_mode(False)
    def _explained(self, method: str, batch: Any, encoding: Encoding, positions: list[int],
                   target_id: int | None, contrast_id: int | None, steps: int,
                   from_pass: GradientsAt | None = None) -> Explained:
        plain, answers = self._answers(method, batch, encoding, positions, target_id, contrast_id, steps,
                                       from_pass)
        return Explained(encoding=encoding, notes=self._cut(encoding), explanations=tuple(
            Explanation(position=position, method=method, target=self._candidate(chosen, plain[row]),
                        contrast=None if contrast_id is None else self._candidate(contrast_id, plain[row]),
                        value=value, scores=tuple(scores), words=self._words(encoding, scores), **extra)
            for row, (position, (chosen, value, scores, extra)) in enumerate(zip(positions, answers))))

    def _answers(self, method: str, batch: Any, encoding: Encoding, positions: list[int], target: int | None,
                 contrast: int | None, steps: int,
                 from_pass: GradientsAt | None = None) -> tuple[torch.Tensor, list[Answer]]:
        """The masks' log-probabilities [masks, V] and each mask's (token, value, scores, IG fields)."""
        if from_pass is not None and method in GRADIENT_METHODS:  # a backward through the analysis's pass
            return _graded(method, from_pass(positions, target, contrast))
        inputs, ids, embeds = self._embedded(batch)
        log_probs_at = self._log_probs_at(inputs)
        if method in GRADIENT_METHODS:  # the top-1 is read from the gradient pass itself
            return _graded(method, gradients(log_probs_at, embeds, positions, target, contrast))
        with torch.no_grad():
            out = self._forward({**inputs, "input_ids": ids}, attention=method == "rollout")
            plain = self._log_probs_of(out, positions)
        chosen = [int(row.argmax()) if target is None else target for row in plain]
        if method == "rollout":
            rolled = rollout(out.attentions)
            return plain, [(token, float(plain[row, token]), rolled[position].tolist(), {})
                           for row, (position, token) in enumerate(zip(positions, chosen))]
        return plain, [(token, *self._integrated(Question(position, token, contrast).value_of(log_probs_at),
                                                 embeds, encoding, steps))
                       for position, token in zip(positions, chosen)]

    def _embedded(self, batch: Any) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        """A batch's inputs but its ids, the ids, and their word embeddings (a leaf for gradients)."""
        inputs = self._model_inputs(batch)
        ids = inputs.pop("input_ids")
        with torch.no_grad():
            return inputs, ids, self._model.get_input_embeddings()(ids)

    def _log_probs_of(self, out: Any, positions: list[int]) -> torch.Tensor:
        if self._heads.mlm is None:
            return out.logits[0, positions].float().log_softmax(-1)  # type: ignore[no-any-return]
        return self._heads.mlm(out.last_hidden_state[0, positions]).float().log_softmax(-1)

    def _integrated(self, value_of: ValueOf, embeds: torch.Tensor, encoding: Encoding,
                    steps: int) -> tuple[float, list[float], dict[str, Any]]:
        """(value, scores, the Explanation's IG fields) of one mask by integrated gradients."""
        keep = [special or token == self._tokenizer.mask_token_id
                for special, token in zip(encoding.special, encoding.input_ids)]
        pad = self._tokenizer.pad_token_id
        blank = baseline_ids(encoding.input_ids, keep, self._tokenizer.mask_token_id if pad is None else pad)
        with torch.no_grad():
            baseline = self._model.get_input_embeddings()(torch.tensor([blank], device=embeds.device))
        rows = max(1, self.token_budget // len(encoding.input_ids))
        integrated = integrated_gradients(value_of, embeds, baseline, steps, rows)
        return integrated.value, integrated.scores, {"baseline_value": integrated.baseline_value,
                                                     "delta": integrated.delta, "steps": steps}

    def _candidate(self, token: int, log_probs: torch.Tensor) -> Candidate:
        return Candidate(token, self._decode([token]), float(log_probs[token].exp()))

    def _words(self, encoding: Encoding, scores: Sequence[float]) -> tuple[WordScore, ...]:
        """The word view: each word's pieces' scores summed."""
        join = self._tokenizer.convert_tokens_to_string
        return tuple(WordScore(str(join([encoding.tokens[i] for i in group])).strip(), tuple(group),
                               sum(scores[i] for i in group)) for group in word_groups(encoding))


def _checked(method: str) -> str:
    """``method`` if it is one of ``EXPLAIN_METHODS``; else the error that names them."""
    if method not in EXPLAIN_METHODS:
        raise InputError(f"no method {method!r}: choose one of {', '.join(EXPLAIN_METHODS)}")
    return method


def _graded(method: str, found: Gradients) -> tuple[torch.Tensor, list[Answer]]:
    """``_answers`` of a gradient method: each mask's token, value and scores (× input, or the norm)."""
    scores = found.grad_input if method == "grad-input" else found.grad_norm
    return found.log_probs, [(token, value, row, {}) for token, value, row in
                             zip(found.targets, found.values, scores)]
