"""The app held still for tests and screenshots: no blinking cursor, no animation (so no spinner), no
latencies and no load times, so that two runs paint the same screen. Patches, not an app option: the
product has no switch that exists only for its tests."""

from __future__ import annotations

import pytest
from textual import constants
from textual.widgets import Input

from bertui.ui.widgets import model_card
from bertui.ui.widgets.status_line import StatusLine


def hold_still(patch: pytest.MonkeyPatch) -> None:
    """Hold every app made from now on still, until ``patch`` is undone."""
    patch.setattr(Input, "_toggle_cursor", lambda _self: None)  # the cursor stays on: no blinking
    patch.setattr(constants, "TEXTUAL_ANIMATIONS", "none")  # read by App.__init__
    patch.setattr(StatusLine, "watch_latency", lambda _self, _text: None)
    patch.setattr(model_card, "timings", lambda _info: [])
