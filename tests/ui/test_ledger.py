"""The request ledger on its own, no app and no pilot: which answer belongs to the text on screen."""

from __future__ import annotations

from bertui.engine.results import Analysis, AnalysisRequest, Encoding, RankedCandidate
from bertui.ui.ledger import RequestLedger

ENCODING = Encoding(tokens=("[CLS]", "[SEP]"), input_ids=(1, 2), token_type_ids=(0, 0), attention_mask=(1, 1),
                    offsets=((0, 0), (0, 0)), sequence_ids=(None, None), special=(True,
                                                                                  True), mask_positions=())
RANKING = (RankedCandidate(rank=1, candidate="it ran .", is_next=0.9, not_next=0.1),)


def asked(ledger: RequestLedger, text_a: str = "a", **fields) -> AnalysisRequest:
    """An edit, then its request sent."""
    request = AnalysisRequest(ledger.changed(), text_a, **fields)
    ledger.send(request, at=0.0)
    return request


def answer(request: AnalysisRequest, ranking=None) -> Analysis:
    return Analysis(request_id=request.request_id, encoding=ENCODING, ranking=ranking)


def test_an_answer_to_the_latest_request_is_shown_and_answers_it():
    ledger = RequestLedger()
    request = asked(ledger)
    shown = ledger.take_analysis(answer(request), ranked_later=False)
    assert shown == (request, answer(request)) and ledger.shown == shown
    assert ledger.answers(request) and ledger.not_whole() is None


def test_an_answer_to_an_older_request_is_shown_while_typing_but_does_not_answer_the_text():
    """Typing faster than the model answers: each answer is to text already edited again. It is shown
    (the panes follow the typing), but the text on screen still waits for its own answer."""
    ledger = RequestLedger()
    old = asked(ledger, "the cat")
    new = asked(ledger, "the cat sat")
    assert ledger.take_analysis(answer(old), ranked_later=False) == (old, answer(old))
    assert not ledger.answers(new) and not ledger.answers(old)
    assert ledger.take_ranking(old.request_id, RANKING) is None  # a ranking only for the text on screen
    assert ledger.take_analysis(answer(new), ranked_later=False) == (new, answer(new))
    assert ledger.answers(new)


def test_the_answer_to_a_text_since_replaced_is_dropped_and_one_since_backspaced_is_shown():
    ledger = RequestLedger()
    old = asked(ledger, "first sentence")
    asked(ledger, "second")  # selected and typed over, not typed on
    assert ledger.take_analysis(answer(old), ranked_later=False) is None
    typed = asked(ledger, "second sentence")
    asked(ledger, "second sen")  # backspaced
    assert ledger.take_analysis(answer(typed), ranked_later=False) == (typed, answer(typed))


def test_an_answer_older_than_the_one_shown_is_dropped():
    ledger = RequestLedger()
    old = asked(ledger, "old")
    new = asked(ledger, "new")
    ledger.take_analysis(answer(new), ranked_later=False)
    assert ledger.take_analysis(answer(old), ranked_later=False) is None
    assert ledger.take_analysis(answer(new), ranked_later=False) is None  # nor one answered twice
    assert ledger.shown == (new, answer(new)) and ledger.answers(new)


def test_an_edit_not_yet_sent_leaves_the_answer_in_flight_shown_but_not_whole():
    ledger = RequestLedger()
    request = asked(ledger)
    ledger.changed()  # typed again; the debounce has not sent it yet
    assert ledger.take_analysis(answer(request), ranked_later=False) == (request, answer(request))
    assert not ledger.answers(request)


def test_an_answer_to_a_request_never_sent_is_dropped():
    ledger = RequestLedger()
    asked(ledger)
    assert ledger.take_analysis(Analysis(request_id=99, encoding=ENCODING), ranked_later=False) is None


def test_a_ranking_due_keeps_the_results_from_being_whole_until_it_comes():
    ledger = RequestLedger()
    request = asked(ledger, candidates=("it ran .",))
    ledger.take_analysis(answer(request), ranked_later=True)
    assert ledger.ranking_due and not ledger.answers(request)
    assert ledger.not_whole() == "the next-sentence ranking of this text is not in"
    shown = ledger.take_ranking(request.request_id, RANKING)
    assert shown == (request, answer(request, RANKING)) and ledger.shown == shown
    assert ledger.answers(request) and not ledger.ranking_due and ledger.not_whole() is None


def test_a_ranking_of_text_no_longer_on_screen_is_dropped():
    ledger = RequestLedger()
    first = asked(ledger, "first", candidates=("it ran .",))
    ledger.take_analysis(answer(first), ranked_later=True)
    asked(ledger, "second", candidates=("it ran .",))
    assert ledger.take_ranking(first.request_id, RANKING) is None
    assert ledger.shown.analysis.ranking is None


def test_the_ranking_on_screen_is_kept_when_only_sentence_b_or_k_changed():
    ledger = RequestLedger()
    first = asked(ledger, "a", candidates=("it ran .",))
    ledger.take_analysis(answer(first, RANKING), ranked_later=False)
    second = asked(ledger, "a", text_b="b", top_k=3, candidates=("it ran .",))
    shown = ledger.take_analysis(answer(second), ranked_later=True)
    assert shown.analysis.ranking == RANKING and not ledger.ranking_due and ledger.answers(second)
    third = asked(ledger, "a changed", candidates=("it ran .",))
    assert ledger.take_analysis(answer(third), ranked_later=True).analysis.ranking is None
    assert ledger.ranking_due


def test_a_failure_of_the_latest_request_counts_as_its_answer():
    ledger = RequestLedger()
    old = asked(ledger)
    request = asked(ledger)
    assert not ledger.take_failure(old.request_id)
    assert ledger.take_failure(request.request_id) and ledger.answers(request)


def test_nothing_is_latest_before_anything_is_sent():
    ledger = RequestLedger()
    ledger.changed()
    assert not ledger.is_latest(ledger.latest_id) and not ledger.take_failure(ledger.latest_id)


def test_a_ranking_of_the_latest_text_is_not_put_on_an_older_texts_masks():
    """The ranking comes before its own masks (they were dropped, or are late): the panes keep the older
    answer as it was rather than show this text's ranking beside another text's masks."""
    ledger = RequestLedger()
    first = asked(ledger, "first", candidates=("it ran .",))
    ledger.take_analysis(answer(first), ranked_later=True)
    second = asked(ledger, "second", candidates=("it ran .",))
    assert ledger.take_ranking(second.request_id, RANKING) is None
    assert ledger.shown == (first, answer(first)) and ledger.ranking_due and not ledger.answers(second)


def test_a_failure_before_any_answer_leaves_nothing_due():
    """The first request fails: it is answered, nothing was shown, and no ranking is awaited."""
    ledger = RequestLedger()
    request = asked(ledger, candidates=("it ran .",))
    assert ledger.take_failure(request.request_id)
    assert ledger.answers(request) and ledger.shown is None and not ledger.ranking_due
    assert ledger.not_whole() == "no results"
