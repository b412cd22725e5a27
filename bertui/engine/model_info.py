"""The model card: what a loaded model is (architecture, sizes, heads, device), as a ModelInfo."""

from __future__ import annotations

from transformers import PretrainedConfig

from bertui.engine.loading import NSP_PRETRAINING_CLASSES, Loaded
from bertui.engine.results import ModelInfo


def model_info(loaded: Loaded, spec: str, *, has_nsp_head: bool, has_segments: bool) -> ModelInfo:
    """``loaded`` described for a person and for provenance; ``spec`` is what the person asked for."""
    config, tokenizer, model = loaded.config, loaded.tokenizer, loaded.model
    return ModelInfo(
        spec=spec,
        name_or_path=loaded.source,
        architecture=type(model).__name__,
        model_type=config.model_type,
        layers=int(config.num_hidden_layers),
        hidden_size=int(config.hidden_size),
        heads=int(config.num_attention_heads),
        intermediate_size=_intermediate_size(config),
        vocab_size=int(config.vocab_size),
        max_length=loaded.max_length,
        parameters=sum(p.numel() for p in model.parameters()),
        device=str(loaded.device),
        dtype=str(loaded.dtype).removeprefix("torch."),
        has_nsp_head=has_nsp_head,
        tokenizer_class=type(tokenizer).__name__,
        tokenizer_fast=bool(tokenizer.is_fast),
        mask_token=str(tokenizer.mask_token),
        is_demo=loaded.is_demo,
        load_seconds=round(loaded.seconds, 3),
        has_segments=has_segments,
        no_nsp_reason="" if has_nsp_head else no_nsp_reason(loaded, spec),
    )


def _intermediate_size(config: PretrainedConfig) -> int:
    """The feed-forward width: ``intermediate_size``, or DistilBERT's ``hidden_dim``."""
    size = getattr(config, "intermediate_size", None) or getattr(config, "hidden_dim", None)
    return int(size or 0)


def no_nsp_reason(loaded: Loaded, spec: str) -> str:
    """Why ``loaded`` cannot score next sentences, told apart for a BERT whose checkpoint lacks the
    weights (a pretraining architecture, so it looks as if it should have them) and other families."""
    architectures = loaded.config.architectures or ()
    if type(loaded.model).__name__ in NSP_PRETRAINING_CLASSES:
        saved_as = ", ".join(architectures) or "no architecture"
        if any(name in NSP_PRETRAINING_CLASSES for name in architectures):
            return (f"{spec!r} is a BERT pretraining checkpoint ({saved_as}) but its next-sentence weights "
                    f"are missing ({', '.join(loaded.nsp_missing)}), so next-sentence scores cannot be "
                    "computed: the checkpoint is incomplete; the masked-LM head is intact")
        return (f"{spec!r} has no next-sentence head in its weights: a BERT saved without them ({saved_as}; "
                f"missing {', '.join(loaded.nsp_missing)}), so next-sentence scores cannot be computed; "
                "a full pretraining checkpoint (such as the original bert-base-uncased files) has them")
    return (f"{spec!r} ({loaded.config.model_type}) has no next-sentence head: next-sentence prediction "
            "was a pretraining task of BERT only (RoBERTa, DistilBERT, ELECTRA, DeBERTa, ModernBERT and "
            "MPNet dropped it; ALBERT's sentence-order head is not used here)")
