"""Tokenization equals the tokenizer's own call; truncation is reported; mask spellings are understood."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from bertui.engine.encoding import mask_tokens, normalize_masks, tokenize
from tests.conftest import REAL_TOKENIZER

SENTENCES = [
    ("Soccer is a really fun [MASK].", None),
    ("The dog ate my pizza.", "It was very good!"),
    ("", None),
    ("[MASK] [MASK] big red house", "the sky is blue"),
]


@pytest.mark.parametrize(("text_a", "text_b"), SENTENCES)
def test_encoding_equals_the_tokenizers_own_call(engine, bert_dir, text_a, text_b):
    reference = AutoTokenizer.from_pretrained(bert_dir)(text_a, text_b, return_offsets_mapping=True)
    encoding = engine.encode(text_a, text_b)
    assert list(encoding.input_ids) == reference["input_ids"]
    assert list(encoding.token_type_ids) == reference["token_type_ids"]
    assert list(encoding.attention_mask) == reference["attention_mask"]
    assert [tuple(span) for span in reference["offset_mapping"]] == list(encoding.offsets)
    assert encoding.tokens == tuple(reference.tokens())
    assert list(encoding.word_ids) == reference.word_ids()
    assert encoding.truncated == 0


def test_special_tokens_segments_and_masks_are_marked(engine):
    encoding = engine.encode("the [MASK] dog", "a cat")
    assert encoding.tokens[0] == "[CLS]" and encoding.special[0]
    assert encoding.mask_positions == (2,)
    assert not encoding.special[2]
    assert encoding.sequence_ids == (None, 0, 0, 0, None, 1, 1, None)
    assert encoding.token_type_ids == (0, 0, 0, 0, 0, 1, 1, 1)


def test_offsets_point_back_into_the_text(engine):
    text = "the big dog, really"
    encoding = engine.encode(text)
    pieces = [text[s:e] for (s, e), special in zip(encoding.offsets, encoding.special) if not special]
    assert pieces == ["the", "big", "dog", ",", "really"]


@pytest.mark.parametrize("spelling", ["[mask]", "[Mask]", "<mask>", "<MASK>"])
def test_any_spelling_of_mask_is_the_models_mask(engine, spelling):
    encoding = engine.encode(f"the {spelling} dog")
    assert encoding.tokens[encoding.mask_positions[0]] == "[MASK]"
    assert encoding.offsets[encoding.mask_positions[0]] == (4, 10)


def test_mask_glued_to_words_is_still_a_mask(engine):
    encoding = engine.encode("big[MASK]dog")
    assert [encoding.tokens[p] for p in encoding.mask_positions] == ["[MASK]"]


def test_text_past_the_maximum_is_truncated_and_says_how_much(engine):
    words = "the dog " * 100  # 200 words, the tiny model takes 128 tokens
    encoding = engine.encode(words)
    assert len(encoding.input_ids) == engine.info.max_length == 128
    assert encoding.tokens[-1] == "[SEP]"
    assert encoding.truncated == 202 - 128


def test_pair_past_the_maximum_is_truncated(engine):
    encoding = engine.encode("the dog " * 50, "a cat " * 50)
    assert len(encoding.input_ids) == 128
    assert encoding.truncated == 203 - 128
    assert encoding.tokens.count("[SEP]") == 2


def test_a_short_maximum_cuts_the_text_and_counts_what_it_dropped(bert_dir):
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    whole = tokenizer("the dog " * 10, "a cat")["input_ids"]  # 20 + 2 words, 3 special tokens
    batch, truncated = tokenize(tokenizer, "the dog " * 10, "a cat", 10)
    assert len(batch["input_ids"]) == 10 and truncated == len(whole) - 10 == 25 - 10


def test_mask_tokens_masks_the_texts_tokens_only(bert_dir):
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    batch, _ = tokenize(tokenizer, "the big dog", "a cat", 128)  # [CLS] the big dog [SEP] a cat [SEP]
    expected = list(batch["input_ids"])
    expected[2] = expected[6] = tokenizer.mask_token_id
    mask_tokens(tokenizer, batch, (0, 2, 4, 6, 7, 8, -1, -2, 99))  # specials and strays are left alone
    assert batch["input_ids"] == expected


def test_lone_surrogates_become_one_replacement_character_each():
    assert normalize_masks("caf\udce9 [mask] \ud83d", "[MASK]") == "caf\ufffd [MASK] \ufffd"


def test_a_model_with_another_mask_spelling_keeps_the_text():
    assert normalize_masks("a [mask] and <MASK>", "[unused_mask]") == "a [mask] and <MASK>"
    assert normalize_masks("a [mask] and <MASK>", "<mask>") == "a <mask> and <mask>"


needs_real_tokenizer = pytest.mark.skipif(not REAL_TOKENIZER.is_dir(),
                                          reason=f"no shared bert-base tokenizer at {REAL_TOKENIZER}")


@needs_real_tokenizer
def test_real_bert_base_tokenizer_wordpieces(tmp_path):
    """The ids published with bert-base-uncased's tokenizer (see shared/models/SOURCES.md)."""
    from bertui.engine.encoding import to_encoding

    tokenizer = AutoTokenizer.from_pretrained(REAL_TOKENIZER, local_files_only=True)
    batch, truncated = tokenize(tokenizer, "Here is the sentence I want embedding for.", None, 512)
    encoding = to_encoding(tokenizer, batch, truncated)
    assert encoding.input_ids == (101, 2182, 2003, 1996, 6251, 1045, 2215, 7861, 8270, 4667, 2005, 1012, 102)
    assert encoding.tokens[6:10] == ("want", "em", "##bed", "##ding")
