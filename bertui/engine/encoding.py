"""Text → tokens: the Encoding a person sees, and the tensors the model reads, from one tokenizer call."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bertui.engine.results import Encoding

if TYPE_CHECKING:
    from transformers import BatchEncoding, PreTrainedTokenizerFast

# People write masks as [MASK], [mask] or <mask> whatever the model's own spelling; both spellings
# are six characters, so rewriting one into the other keeps every character offset in place.
_MASK_SPELLINGS = re.compile(r"\[mask\]|<mask>", re.IGNORECASE)
_ALIASABLE = ("[MASK]", "<mask>")
# A lone UTF-16 surrogate cannot be encoded, and the tokenizer rejects it with a TypeError. Python makes
# them from bytes that are not UTF-8 (a command-line argument in Latin-1, say): they become U+FFFD,
# one character for one, so offsets stay put.
_SURROGATES = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    return _SURROGATES.sub("\ufffd", text)


def normalize_masks(text: str, mask_token: str) -> str:
    """Rewrite any spelling of a mask into ``mask_token`` (for models whose mask is [MASK] or <mask>);
    characters no tokenizer can read become U+FFFD."""
    text = without_surrogates(text)
    return _MASK_SPELLINGS.sub(mask_token, text) if mask_token in _ALIASABLE else text


def tokenize(tokenizer: PreTrainedTokenizerFast, text_a: str, text_b: str | None,
             max_length: int) -> tuple[BatchEncoding, int]:
    """Tokenize a text or pair, truncating past ``max_length``; returns (BatchEncoding, tokens dropped).

    Only the kept tokens become Python objects. A pasted megabyte is 200,000 tokens: turning them all
    into lists (ids, offsets, tokens) took seconds and held the GIL, freezing the app; the dropped ones
    are only counted, inside the Rust tokenizer.
    """
    batch = tokenizer(text_a, text_b, truncation=True, max_length=max_length, return_offsets_mapping=True,
                      return_token_type_ids=True)
    kept = len(batch["input_ids"])
    if kept < max_length:
        return batch, 0
    return batch, count_tokens(tokenizer, text_a, text_b) - kept


def count_tokens(tokenizer: PreTrainedTokenizerFast, text_a: str, text_b: str | None) -> int:
    """Tokens of the whole text or pair, special tokens included, without truncation."""
    backend = tokenizer.backend_tokenizer
    backend.no_truncation()  # transformers leaves the last call's truncation set, and sets it per call
    return len(backend.encode(text_a, text_b))


def to_encoding(tokenizer: PreTrainedTokenizerFast, batch: BatchEncoding, truncated: int) -> Encoding:
    ids = batch["input_ids"]
    sequence_ids = tuple(batch.sequence_ids())
    mask_id = tokenizer.mask_token_id
    return Encoding(
        tokens=tuple(tokenizer.convert_ids_to_tokens(ids)),
        input_ids=tuple(ids),
        token_type_ids=tuple(batch["token_type_ids"]),
        attention_mask=tuple(batch["attention_mask"]),
        offsets=tuple((int(start), int(end)) for start, end in batch["offset_mapping"]),
        sequence_ids=sequence_ids,
        special=tuple(sid is None for sid in sequence_ids),
        mask_positions=tuple(i for i, token_id in enumerate(ids) if token_id == mask_id),
        truncated=truncated,
        word_ids=tuple(batch.word_ids()),
    )


def mask_tokens(tokenizer: PreTrainedTokenizerFast, batch: BatchEncoding, positions: tuple[int, ...]) -> None:
    """Replace the tokens at ``positions`` by the mask, in place (special tokens and strays are ignored)."""
    ids = batch["input_ids"]
    sequence_ids = batch.sequence_ids()
    for position in positions:
        if 0 <= position < len(ids) and sequence_ids[position] is not None:
            ids[position] = tokenizer.mask_token_id
