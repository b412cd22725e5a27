"""The main screen's model state on its own, no app and no pilot: load, ready, failed, crashed, restart."""

from __future__ import annotations

from types import SimpleNamespace

from bertui.ui.model_state import DEFAULT_MASK, ModelState

INFO = SimpleNamespace(mask_token="<mask>")  # ModelState reads nothing else of a ModelInfo


class Backend:
    def restart(self) -> None: ...


def loaded(spec: str = "a") -> tuple[ModelState, Backend]:
    backend = Backend()
    state = ModelState(spec, backend)
    state.load(spec)
    state.ready(spec, INFO)
    return state, backend


def test_a_first_load_answers_once_ready_and_the_session_names_it():
    backend = Backend()
    state = ModelState("a", backend, saved="saved")
    state.load("a")
    assert state.is_loading("a") and not state.answering and state.mask_token == DEFAULT_MASK
    assert state.session_model == "saved"
    assert state.ready("a", INFO)  # the one being loaded: the banner goes
    assert state.answering and state.loading is None and state.mask_token == "<mask>"
    assert state.session_model == "a"


def test_a_failed_first_load_is_remembered_for_the_card():
    state = ModelState("a", Backend())
    state.load("a")
    assert not state.failed("a", "no such model")
    assert state.failure == ("a", "no such model") and state.loading is None and not state.answering


def test_a_failed_switch_keeps_the_model_in_use():
    state, _backend = loaded("a")
    state.load("b")
    assert state.wanted == "b" and not state.answering
    assert state.failed("b", "no such model")
    assert state.spec == "a" and state.failure is None and state.answering and state.wanted == "a"


def test_a_model_that_loads_after_a_newer_switch_is_not_the_one_being_loaded():
    state, _backend = loaded("a")
    state.load("c")
    assert not state.ready("b", INFO)  # b answers now, c is still loading
    assert state.spec == "b" and state.is_loading("c")


def test_a_crash_stops_the_backend_until_a_restart_loads_its_model_again():
    state, backend = loaded("a")
    assert state.crashed(backend, None) == "a"  # the model it ran, when the message does not say
    assert not state.answering and state.loading is None
    assert state.restart() == [backend]
    assert state.is_loading("a") and state.stopped == {}
    assert state.restart() == []  # nothing left to restart


def test_model_bs_crash_leaves_the_screens_model_answering():
    state, _backend = loaded("a")
    model_b = Backend()
    assert state.crashed(model_b, "b") == "b"
    assert state.answering
    assert state.restart() == [model_b] and state.loading is None
