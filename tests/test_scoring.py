"""Target words, sentence PLLs and joint fills against transformers' pipeline and plain loops in this file."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, BertTokenizer, pipeline

from bertui.engine import AnalysisRequest
from bertui.engine.inference import Engine
from bertui.headless.documents import compare_pair, fill_one, score_one

SENTENCE = "the unbelievable dog ate my zzyzx pizza ."


@pytest.fixture(scope="module")
def reference(bert_dir):
    return BertForMaskedLM.from_pretrained(bert_dir).eval(), AutoTokenizer.from_pretrained(bert_dir)


# -- target words ---------------------------------------------------------------------------------

def test_one_piece_targets_equal_the_pipelines_targets_scores(engine, bert_dir, reference):
    text, targets = "the [MASK] ate my [MASK] .", ["he", "she", "dog", "the"]
    fill_mask = pipeline("fill-mask", model=str(bert_dir), device="cpu")
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text, targets=tuple(targets)))
    expected = fill_mask(text, targets=targets, top_k=len(targets))
    model, tokenizer = reference
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        probs = model(**inputs).logits[0].softmax(-1)
    for mask, theirs in zip(analysis.targets, expected):
        by_word = {entry["token_str"]: entry["score"] for entry in theirs}
        for scored in mask.scores:
            assert scored.pieces == (scored.target,) and scored.to_json()["n_pieces"] == 1
            assert scored.probability == pytest.approx(by_word[scored.target], abs=1e-4)
            at = probs[mask.position]
            assert scored.rank == int((at > at[tokenizer.convert_tokens_to_ids(scored.target)]).sum()) + 1


def test_leading_space_vocabularies_follow_the_pipeline(roberta_dir):
    engine = Engine.load(str(roberta_dir), device="cpu")
    text = "the <mask> is big"
    fill_mask = pipeline("fill-mask", model=str(roberta_dir), device="cpu")
    theirs = fill_mask(text, targets=["Ġhe"], top_k=1)
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text, targets=("Ġhe", " he")))
    literal, spaced = analysis.targets[0].scores
    assert literal.pieces == ("Ġhe",) and literal.rank >= 1  # a vocabulary entry: that piece, as the pipeline
    assert literal.probability == pytest.approx(theirs[0]["score"], abs=1e-4)
    # Not an entry: its tokenization (this tiny BPE has no merges, so " he" is three byte pieces, where
    # the pipeline would score the first, "Ġ", alone); all of them are scored, in a widened mask.
    assert spaced.pieces == tuple(AutoTokenizer.from_pretrained(roberta_dir).tokenize(" he"))
    assert len(spaced.pieces) == 3 and spaced.log_prob is not None


def test_a_word_of_several_pieces_is_scored_in_a_widened_mask(engine, reference):
    model, tokenizer = reference
    word = "zzyzx"
    pieces = tokenizer(word, add_special_tokens=False)["input_ids"]
    assert len(pieces) > 1
    text = "the [MASK] ate my pizza ."
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text, targets=(word,)))
    (scored,) = analysis.targets[0].scores
    ids = tokenizer(text)["input_ids"]
    at = ids.index(tokenizer.mask_token_id)
    filled = ids[:at] + pieces + ids[at + 1:]
    expected = 0.0
    for position in range(at, at + len(pieces)):  # each piece masked alone, the others written in
        masked = list(filled)
        masked[position] = tokenizer.mask_token_id
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([masked])).logits[0, position]
        expected += logits.log_softmax(-1)[filled[position]].item()
    assert scored.log_prob == pytest.approx(expected, abs=1e-4)
    assert scored.to_json()["n_pieces"] == len(pieces) and scored.rank is None
    assert f"{len(pieces)} pieces" in scored.note


def test_a_word_of_several_pieces_fits_up_to_the_models_last_position_and_no_further(engine, reference):
    """The widened text holds len(text) - 1 + pieces tokens: scored while that is the model's maximum,
    refused (with a note, no score) one token past it."""
    _, tokenizer = reference
    word = "zzyzx"
    pieces = tokenizer(word, add_special_tokens=False)["input_ids"]
    room = engine.info.max_length - len(pieces) + 1  # tokens the text may have, [CLS] and [SEP] included
    for length, fits in ((room, True), (room + 1, False)):
        text = "[MASK] " + "a " * (length - 3)
        assert len(tokenizer(text)["input_ids"]) == length
        analysis = engine.analyze(AnalysisRequest(request_id=1, text_a=text, targets=(word,)))
        (scored,) = analysis.targets[0].scores
        assert (scored.target, scored.pieces) == (word, tuple(tokenizer.convert_ids_to_tokens(pieces)))
        if fits:
            assert scored.log_prob is not None and scored.note == (
                f"{len(pieces)} pieces: the mask widened to {len(pieces)} masks, scored as their PLL")
        else:
            assert (scored.log_prob, scored.rank) == (None, None)
            assert scored.note == f"{len(pieces)} pieces do not fit the model's maximum length"


def test_a_word_outside_the_vocabulary_says_so(engine):
    analysis = engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] .", targets=("☃",)))
    (scored,) = analysis.targets[0].scores
    assert scored.to_json()["in_vocabulary"] is False and scored.log_prob is None
    assert "not in the model's vocabulary" in scored.note


def test_one_piece_targets_add_no_encoder_pass(engine):
    request = AnalysisRequest(request_id=1, text_a="the [MASK] ate my [MASK] .")
    before = engine.passes
    plain = engine.analyze(request, rank=False)
    plain_passes = engine.passes - before
    before = engine.passes
    engine.analyze(AnalysisRequest(request_id=2, text_a=request.text_a, targets=("he", "she", "they")),
                   rank=False)
    assert engine.passes - before == plain_passes == 1
    assert plain.targets == () and plain.joint is None


# -- sentence scores ------------------------------------------------------------------------------

def _reference_pll(model, tokenizer, text, pair=None):
    """One masked copy per token per forward, nothing batched: (per position (log p, l2r log p, rank))."""
    encoded = tokenizer(text, pair)
    ids, words, sequences = encoded["input_ids"], encoded.word_ids(), encoded.sequence_ids()
    scores = {}
    for position, (word, sequence) in enumerate(zip(words, sequences)):
        if sequence is None:
            continue
        later = [p for p in range(position + 1, len(ids)) if words[p] == word and sequences[p] == sequence]
        found = []
        for masked_positions in ([position], [position, *later]):
            masked = torch.tensor([ids])
            masked[0, masked_positions] = tokenizer.mask_token_id
            with torch.no_grad():
                log_probs = model(input_ids=masked, token_type_ids=torch.tensor([encoded["token_type_ids"]])
                                  ).logits[0, position].log_softmax(-1)
            found.append(log_probs)
        true = ids[position]
        scores[position] = (found[0][true].item(), found[1][true].item(),
                            int((found[0] > found[0][true]).sum()) + 1)
    return scores


@pytest.mark.parametrize("pair", [None, "a cat sat ."])
@pytest.mark.parametrize("budget", [16384, 40])  # 40 tokens: a few rows per forward, many forwards
def test_pll_and_word_l2r_equal_an_unbatched_loop(engine, reference, monkeypatch, pair, budget):
    monkeypatch.setattr(engine, "token_budget", budget)
    model, tokenizer = reference
    expected = _reference_pll(model, tokenizer, SENTENCE, pair)
    assert any(a != b for a, b, _ in expected.values())  # the sentence has words of several pieces
    scored = score_one(engine, SENTENCE, pair)
    assert [t["position"] for t in scored["tokens"]] == list(expected)
    for token in scored["tokens"]:
        log_p, l2r, rank = expected[token["position"]]
        assert token["log_prob"] == pytest.approx(log_p, abs=1e-4)
        assert token["log_prob_word_l2r"] == pytest.approx(l2r, abs=1e-4)
        assert token["rank"] == rank
        assert token["surprisal_bits"] == pytest.approx(-log_p / math.log(2), abs=1e-4)
    assert scored["pll"] == pytest.approx(sum(v[0] for v in expected.values()), abs=1e-4)
    assert scored["pll_word_l2r"] == pytest.approx(sum(v[1] for v in expected.values()), abs=1e-4)
    assert set(scored) == {"text", "pair", "tokens", "pll", "pll_word_l2r", "truncated"}


def test_sentences_scored_together_equal_each_scored_alone(engine, monkeypatch):
    """score_many pads sentences into shared forwards; with a budget below one row's length every
    forward still takes one row (rows never skipped, never doubled up past the budget)."""
    texts = [("the dog ate .", None), (SENTENCE, "a cat sat ."), ("zzyzx", None)]
    alone = [engine.score(text, pair)[1] for text, pair in texts]
    real, rows = engine._forward, []

    def counted(inputs, **options):
        rows.append(inputs["input_ids"].shape[0])
        return real(inputs, **options)

    for budget in (16384, 3):
        rows.clear()
        with monkeypatch.context() as patched:
            patched.setattr(engine, "token_budget", budget)
            patched.setattr(engine, "_forward", counted)
            together = [surprisal for _, surprisal in engine.score_many(texts)]
        assert [[t.token for t in s.tokens] for s in together] == [[t.token for t in s.tokens] for s in alone]
        for ours, theirs in zip(together, alone):
            assert [t.log_prob for t in ours.tokens] == pytest.approx([t.log_prob for t in theirs.tokens],
                                                                      abs=1e-4)
        assert max(rows) > 1 if budget > 3 else set(rows) == {1}


def test_pairs_say_which_sentence_is_preferred_and_by_how_much(engine):
    a, b = score_one(engine, "the dog ate my pizza ."), score_one(engine, "the dog ate my pizzas .")
    compared = compare_pair(a, b)
    for variant in ("pll", "pll_word_l2r"):
        assert compared[variant]["margin"] == pytest.approx(abs(a[variant] - b[variant]))
        assert compared[variant]["prefers"] == ("a" if a[variant] > b[variant] else "b")


# -- joint fill -----------------------------------------------------------------------------------

SMALL_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "dog", "cat", "ate", "a", "fish"]
JOINT_TEXTS = ["the [MASK] ate [MASK] fish", "[MASK] dog [MASK] .", "the [MASK] [MASK] [MASK]",
               "[MASK] cat ate [MASK] a [MASK]"]


def _small_model(folder, seed):
    tokenizer = BertTokenizer(vocab={word: i for i, word in enumerate(SMALL_VOCAB)}, model_max_length=32)
    config = BertConfig(vocab_size=len(SMALL_VOCAB), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=48, max_position_embeddings=32,
                        initializer_range=0.4)
    torch.manual_seed(seed)
    BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _exhaustive(model, ids, positions):
    """Every filling of the masks from the whole vocabulary, scored by the masked positions' PLL."""
    fillings = list(itertools.product(range(len(SMALL_VOCAB)), repeat=len(positions)))
    copies = []
    for filling in fillings:
        for masked in positions:
            row = list(ids)
            for position, token in zip(positions, filling):
                row[position] = token
            row[masked] = SMALL_VOCAB.index("[MASK]")
            copies.append(row)
    with torch.no_grad():
        log_probs = model(input_ids=torch.tensor(copies)).logits.log_softmax(-1)
    scores = []
    for f, filling in enumerate(fillings):
        scores.append(sum(log_probs[f * len(positions) + m, position, filling[m]].item()
                          for m, position in enumerate(positions)))
    return sorted(zip(scores, fillings), key=lambda item: -item[0])


def test_joint_fill_against_exhaustive_search(tmp_path_factory):
    top_k, table, found_best = 3, [], {}
    for seed in range(5):
        folder = _small_model(tmp_path_factory.mktemp(f"small{seed}"), seed)
        engine = Engine.load(str(folder), device="cpu")
        model = BertForMaskedLM.from_pretrained(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        for text in JOINT_TEXTS:
            ids = tokenizer(text)["input_ids"]
            positions = [i for i, token in enumerate(ids) if token == tokenizer.mask_token_id]
            best = _exhaustive(model, ids, positions)
            whole = len(SMALL_VOCAB) ** len(positions)  # a beam this wide holds the exhaustive search
            for width in (3, 5, whole):
                joint = engine.analyze(AnalysisRequest(request_id=1, text_a=text, top_k=top_k, joint=True,
                                                       beam=width)).joint
                assert joint.passes == len(positions)  # one per step after the plain pass's, one to rank
                ours = [filling.token_ids for filling in joint.fillings]
                hit = ours[0] == best[0][1]
                found_best.setdefault((len(positions), "all" if width == whole else width), []).append(hit)
                exact = {fill: score for score, fill in best}
                for filling in joint.fillings:  # every score is the filling's own PLL, however found
                    assert filling.score == pytest.approx(exact[filling.token_ids], abs=1e-4)
                if width == whole:
                    assert ours == [fill for _, fill in best[:top_k]]
                    assert [f.score for f in joint.fillings] == pytest.approx([s for s, _ in best[:top_k]],
                                                                              abs=1e-4)
    def in_order(item):  # by masks, then width, the exhaustive width last
        return item[0][0], str(item[0][1]).zfill(5)

    for (masks, width), hits in sorted(found_best.items(), key=in_order):
        table.append(f"{masks} masks, beam {width}: best found in {sum(hits)}/{len(hits)}")
    print("\nbeam vs exhaustive (vocabulary of 11, top-k 3):\n" + "\n".join(table))


def _plain_beam(model, ids, positions, width):
    """The beam as the joint fill's docstring tells it, one unbatched forward per kept filling and step:
    each filling fills its open mask with the most confident top guess, with each of its top ``width``
    tokens; the same set of fills reached twice keeps its better path; the ``width`` best are kept."""
    beam = [(0.0, ())]
    for _ in positions:
        grown = {}
        for score, fills in beam:
            filled = list(ids)
            for position, token_id in fills:
                filled[position] = token_id
            with torch.no_grad():
                log_probs = model(input_ids=torch.tensor([filled])).logits[0].log_softmax(-1)
            open_masks = [p for p in positions if p not in dict(fills)]
            position = max(open_masks, key=lambda p: log_probs[p].max().item())
            values, tokens = log_probs[position].topk(width)
            for log_p, token_id in zip(values.tolist(), tokens.tolist()):
                key = tuple(sorted((*fills, (position, token_id))))
                grown[key] = max(grown.get(key, float("-inf")), score + log_p)
        beam = sorted(((s, f) for f, s in grown.items()), key=lambda item: -item[0])[:width]
    return {tuple(token_id for _, token_id in fills) for _, fills in beam}


@pytest.mark.parametrize("width", [1, 3])
def test_the_joint_beam_keeps_what_a_plain_beam_keeps(engine, reference, width):
    model, tokenizer = reference
    text = "[MASK] dog [MASK] my [MASK] ."
    ids = tokenizer(text)["input_ids"]
    positions = [i for i, token in enumerate(ids) if token == tokenizer.mask_token_id]
    joint = engine.analyze(AnalysisRequest(request_id=1, text_a=text, top_k=width, joint=True, beam=width),
                           rank=False).joint
    assert {filling.token_ids for filling in joint.fillings} == _plain_beam(model, ids, positions, width)


def test_joint_fillings_only_when_asked_and_with_two_masks(engine):
    text = "the [MASK] ate my [MASK] ."
    assert engine.analyze(AnalysisRequest(request_id=1, text_a=text)).joint is None
    assert engine.analyze(AnalysisRequest(request_id=1, text_a="the [MASK] .", joint=True)).joint is None
    out = fill_one(engine, text, top_k=2, beam=4)
    joint = out["joint"]
    assert joint["beam"] == 4 and len(joint["fillings"]) == 2
    assert joint["positions"] == list(engine.encode(text).mask_positions)
    first = joint["fillings"][0]
    assert set(first) == {"tokens", "token_ids", "sequence", "score", "log_probs"}
    assert "[MASK]" not in first["sequence"] and first["score"] == pytest.approx(sum(first["log_probs"]))


# -- the commands ---------------------------------------------------------------------------------

def test_fill_and_score_documents_hold_reference_numbers_under_the_readme_keys(engine, reference):
    """Keys as the README's command table spells them; values from the reference model in plain loops."""
    model, tokenizer = reference
    text = "the [MASK] ate my [MASK] ."
    out = fill_one(engine, text, top_k=2, targets=("he", "\u2603"))
    ids = tokenizer(text)["input_ids"]
    positions = [i for i, token in enumerate(ids) if token == tokenizer.mask_token_id]
    with torch.no_grad():
        log_probs = model(input_ids=torch.tensor([ids])).logits[0].log_softmax(-1)
    assert [mask["position"] for mask in out["masks"]] == positions
    for mask in out["masks"]:
        top = log_probs[mask["position"]].topk(2)
        assert [set(p) for p in mask["predictions"]] == [{"score", "token", "token_str", "sequence"}] * 2
        assert [p["token"] for p in mask["predictions"]] == top.indices.tolist()
        assert [p["score"] for p in mask["predictions"]] == pytest.approx(top.values.exp().tolist(), abs=1e-4)
    assert [mask["position"] for mask in out["targets"]] == positions
    he_id = tokenizer.convert_tokens_to_ids("he")
    for mask in out["targets"]:
        he, snowman = mask["targets"]
        at = log_probs[mask["position"]]
        assert he == pytest.approx({"target": "he", "pieces": ["he"], "n_pieces": 1, "in_vocabulary": True,
                                    "probability": at[he_id].exp().item(), "log_prob": at[he_id].item(),
                                    "rank": int((at > at[he_id]).sum()) + 1, "note": ""}, abs=1e-4)
        assert set(snowman) == set(he) and snowman["n_pieces"] == 0 and not snowman["in_vocabulary"]
        assert snowman["probability"] is None and snowman["log_prob"] is None
    joint = out["joint"]
    assert set(joint) == {"positions", "beam", "passes", "fillings"} and joint["positions"] == positions
    assert joint["passes"] == len(positions)  # one per step after the plain pass's, one to rank
    for filling in joint["fillings"]:
        filled = list(ids)
        for position, token_id in zip(positions, filling["token_ids"]):
            filled[position] = token_id
        assert filling["sequence"] == tokenizer.decode(filled, skip_special_tokens=True)
    scored = score_one(engine, "the dog ate .")
    ids = tokenizer("the dog ate .")["input_ids"]
    assert set(scored) == {"text", "pair", "tokens", "pll", "pll_word_l2r", "truncated"}
    assert [t["token"] for t in scored["tokens"]] == tokenizer.convert_ids_to_tokens(ids[1:-1])
    for token in scored["tokens"]:
        assert set(token) == {"token", "position", "log_prob", "surprisal_bits", "rank", "log_prob_word_l2r"}
        masked = list(ids)
        masked[token["position"]] = tokenizer.mask_token_id
        with torch.no_grad():
            at = model(input_ids=torch.tensor([masked])).logits[0, token["position"]].log_softmax(-1)
        real = ids[token["position"]]
        assert token["log_prob"] == pytest.approx(at[real].item(), abs=1e-4)
        assert token["surprisal_bits"] == pytest.approx(-at[real].item() / math.log(2), abs=1e-4)
        assert token["rank"] == int((at > at[real]).sum()) + 1



def test_score_and_fill_commands_print_the_documented_keys(bert_dir, capsys):
    import json

    from bertui.cli import main

    args = ["score", "the dog ate .", "a dog ate the .", "--compare-pairs", "--model", str(bert_dir)]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sentences"]) == 2 and set(out["pairs"][0]) == {"a", "b", "pll", "pll_word_l2r"}
    assert main(["fill", "the [MASK] ate my [MASK] .", "--targets", "he,she", "--model", str(bert_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"masks", "targets", "joint", "provenance"}
    assert [t["target"] for t in out["targets"][0]["targets"]] == ["he", "she"]
    assert main(["score", "a", "b", "c", "--compare-pairs", "--model", str(bert_dir)]) == 2
    assert "even number" in capsys.readouterr().err
