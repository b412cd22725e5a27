"""Apps for the UI tests: seeded tiny BERTs (the demo recipe, with and without the NSP head) under names
of their own, so the folders' temporary paths never reach the screen or the snapshots."""

from __future__ import annotations

import asyncio
import gc
import html
import inspect
import re
import threading
import time
from collections.abc import Callable

import pytest
from rich.cells import cell_len

from bertui.engine.demo import build_demo_model
from bertui.errors import ModelLoadError
from bertui.ui.app import BertuiApp
from bertui.ui.options import Options
from bertui.ui.widgets.sentences import Sentences
from bertui.ui.widgets.token_grid import TokenGrid
from tests import tiny_families
from tests.ui.steady import hold_still

TINY = "tiny-bert"
TINY_MLM_ONLY = "tiny-bert-mlm"
TINY_MULTILINGUAL = "tiny-multilingual"
TINY_MODERNBERT = "tiny-modernbert"
BUILT_LATER = {TINY_MULTILINGUAL: tiny_families.build_multilingual_bert,
               TINY_MODERNBERT: tiny_families.build_modernbert}


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests in a fresh event loop (no asyncio plugin needed for Pilot)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**arguments))
    return True


@pytest.fixture(autouse=True)
def steady(monkeypatch):
    """Every UI test's app holds still (``tests/ui/steady.py``): its screen is the same run to run."""
    hold_still(monkeypatch)


@pytest.fixture(autouse=True)
def collectable():
    """An app freezes its objects for the collector once its panes open, and a model loop the process it
    runs in (each once in a process of its own); in this one test process, everything is unfrozen after
    each test, so that the garbage of finished apps can be freed."""
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def loader(tmp_path_factory):
    """Engine.load for the spec names above: the tiny BERT with NSP and without, the multilingual BERT and
    ModernBERT of tests/tiny_families.py; ``demo`` is the real demo.

    Any other spec fails as an unknown model does.
    """
    folders = {TINY: build_demo_model(tmp_path_factory.mktemp("ui-bert"), max_positions=128),
               TINY_MLM_ONLY: build_demo_model(tmp_path_factory.mktemp("ui-bert-mlm"), with_nsp_head=False,
                                               max_positions=128)}

    def load(spec: str, *, device: str, dtype: str, progress: Callable[[str], None]):
        from bertui.engine.inference import Engine

        if spec in BUILT_LATER and spec not in folders:  # built on first use: most tests never need them
            folders[spec] = BUILT_LATER[spec](tmp_path_factory.mktemp(spec))
        if spec != "demo" and spec not in folders:
            raise ModelLoadError(f"cannot load {spec!r}: no such model here. Try --model demo.")
        return Engine.load(str(folders.get(spec, spec)), device="cpu", dtype=dtype, progress=progress)

    return load


@pytest.fixture
def make_app(loader):
    """A BertuiApp on the tiny BERT (the test's ``loader`` unless another is given)."""

    def make(model: str = TINY, **options) -> BertuiApp:
        options.setdefault("engine_loader", loader)
        options.setdefault("device", "cpu")
        return BertuiApp(Options(model=model, **options))

    return make


async def until(pilot, condition: Callable[[], bool], what: str = "", timeout: float = 60.0) -> None:
    """Let the app run until ``condition`` holds (checked between its message cycles).

    The only wait in the UI tests: they wait for a state, never for a time. The deadline is generous (a
    loaded machine is slow, not wrong) and only ends a test that would otherwise hang.
    """
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            state = pilot.app.query_one("#status-state").content
            banner = pilot.app.query_one("#banner-error").content
            raise AssertionError(f"timed out after {timeout} s waiting for {what or 'the condition'}; "
                                 f"the status line says {state!r}; {banner!r}")
        await pilot.pause(0.01)


async def drained(pilot) -> None:
    """Let the app handle every message already posted (the repaints an answer asked for): no clock."""
    await pilot.pause()


def calls_to(owner, name: str) -> list[tuple]:
    """The arguments of every call of ``owner.name`` from now on (each call still goes through)."""
    calls: list[tuple] = []
    method = getattr(owner, name)

    def recording(*args, **kwargs):
        calls.append(args)
        return method(*args, **kwargs)

    setattr(owner, name, recording)
    return calls


def values_of(widget, reactive: str) -> list:
    """Every value the reactive ``reactive`` of ``widget`` is given from now on (what the pane draws)."""
    values: list = []
    widget.watch(widget, reactive, lambda value: values.append(value), init=False)
    return values


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


async def opened(pilot) -> None:
    """Until the panes are mounted: the first frame shows only the sentences, status line and keys."""
    await until(pilot, lambda: pilot.app.main.opened, "the panes")


async def settle(pilot) -> None:
    """Until a model answers and the panes show the answer to the text on screen."""
    app = pilot.app
    await until(pilot, lambda: app.main.model.info is not None and app.main.results_current,
                "the answer to the text on screen")
    await drained(pilot)


SVG_CELL = 12.2
"""The width of one cell in Textual's SVG screenshots."""
SVG_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)"[^>]*?clip-path="url\(#[\w-]+-line-(\d+)\)">(.*?)</text>',
                      re.S)


def screen_lines(app) -> list[str]:
    """The characters painted on the screen, one string per row (trailing blanks left out, a no-break
    space read as a space), from the app's own screenshot (``App.export_screenshot``)."""
    rows: dict[int, list[tuple[int, str]]] = {}
    for x, row, text in SVG_TEXT.findall(app.export_screenshot()):
        shown = html.unescape(text).strip("\n").replace("\xa0", " ")  # the SVG writes every space as &#160;
        rows.setdefault(int(row), []).append((round(float(x) / SVG_CELL), shown))
    lines = []
    for row in range(max(rows, default=-1) + 1):
        line = ""
        for column, text in sorted(rows.get(row, ())):
            line += " " * (column - cell_len(line)) + text
        lines.append(line.rstrip())
    return lines


def screen_text(app) -> str:
    """The characters painted on the screen, row by row."""
    return "\n".join(screen_lines(app))


def status(app) -> str:
    return app.query_one("#status-state").content.plain


def shown(app):
    """(request, analysis) the panes show now."""
    return app.main.shown


def record_notices(app) -> list[str]:
    """The message of every notification from now on."""
    said: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        said.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return said


class Wrapped:
    """An engine whose analyze runs ``before(request)`` first and rank ``before_rank(first)`` (to block or
    to fail); ``seen`` and ``ranked`` are sentence A of each call."""

    def __init__(self, engine, before, before_rank=lambda first: None) -> None:
        self.engine = engine
        self._before = before
        self._before_rank = before_rank
        self.info = engine.info
        self.mask_token = engine.mask_token
        self.seen: list[str] = []
        self.ranked: list[str] = []

    def go_live(self, should_stop) -> None:
        self.engine.go_live(should_stop)

    def analyze(self, request, **options):
        self.seen.append(request.text_a)
        self._before(request)
        return self.engine.analyze(request, **options)

    def rank(self, first, candidates):
        self.ranked.append(first)
        self._before_rank(first)
        return self.engine.rank(first, candidates)


def wrapping(loader, before, before_rank=lambda first: None):
    """A loader of Wrapped engines, and the list of the engines it made."""
    engines: list[Wrapped] = []

    def load(spec, **options):
        engines.append(Wrapped(loader(spec, **options), before, before_rank))
        return engines[-1]

    return load, engines


class Gate:
    """Wraps a loader so that the n-th analysis (or the load itself) waits until ``open()``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._open = threading.Event()

    def wait(self) -> None:
        self.entered.set()
        if not self._open.wait(timeout=60):
            raise TimeoutError("gate never opened")

    def open(self) -> None:
        self._open.set()


class Inbox:
    """Stands in for the app: collects what the worker posts, from any thread."""

    def __init__(self) -> None:
        self.messages: list = []
        self._arrived = threading.Condition()

    def post_message(self, message) -> bool:
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return True

    def wait_for(self, kind, count: int = 1, timeout: float = 10) -> list:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.of(kind)) >= count, timeout=timeout), self.messages
            return self.of(kind)

    def of(self, kind) -> list:
        return [message for message in self.messages if isinstance(message, kind)]


@pytest.fixture(scope="module")
def reference(loader):
    """A second engine on the same weights: the expected numbers for any request the app sends."""
    return loader(TINY, device="cpu", dtype="float32", progress=lambda stage: None)


def expected(app, reference):
    """The engine's own answer to the request whose answer the app shows."""
    return reference.analyze(shown(app)[0])


async def select_token(pilot, position: int) -> None:
    grid = pilot.app.query_one(TokenGrid)
    grid.focus()
    await until(pilot, lambda: grid.has_focus, "the grid to take the focus")
    sentences = pilot.app.query_one(Sentences)
    grid.action_move_to(position)
    # The screen marks the token's span in the sentence, then shows the open views from it.
    await until(pilot, lambda: sentences.selected == grid.selected() and grid.cursor_column == position,
                f"the screen to take token {position}'s selection")
    await drained(pilot)
