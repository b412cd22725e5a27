"""A bracketed paste holding ESC arrives as one paste, in order (bertui.ui.paste): fed to the terminal
parser the drivers use, whole and cut into reads at every place."""

from __future__ import annotations

import pytest
from textual import events
from textual.drivers import linux_driver

from bertui.ui.paste import PasteParser, install

PASTED = "abc \x1b[1mdef ghi \x1b]52;c;eA==\x07 👍🏽 end"
STREAM = f"x\x1b[200~{PASTED}\x1b[201~y"


def parsed(reads: list[str]) -> list:
    parser = PasteParser()
    return [event for read in reads for event in parser.feed(read)]


def test_the_paste_comes_whole_between_the_keys_around_it():
    events_ = parsed([STREAM])
    assert [type(event) for event in events_] == [events.Key, events.Paste, events.Key]
    assert events_[1].text == PASTED
    assert (events_[0].character, events_[2].character) == ("x", "y")


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_a_paste_cut_between_two_reads_is_the_same_paste(cut):
    assert [event.text for event in parsed([STREAM[:cut], STREAM[cut:]])
            if isinstance(event, events.Paste)] == [PASTED]


def test_an_escape_key_is_still_a_key():
    assert [event.key for event in parsed(["\x1b"]) + list(PasteParser().feed(""))] in (["escape"], [])


def test_the_drivers_build_it():
    install()
    assert linux_driver.XTermParser is PasteParser
