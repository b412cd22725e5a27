"""The Export dialog: a file name and a format, then the current view written there.

The format follows the file name's ending as it is typed (and can be chosen by hand). In a served
app (``bertui serve``) the file goes to the browser as a download instead (``bertui.ui.downloads``).
Writing happens here, so that a path that cannot be written says why and stays open for the person
to fix it; the files are a few kilobytes, so the write is inline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import Input, Label, Select

from bertui.headless.export import FORMATS, format_for
from bertui.ui.downloads import deliver, download_name
from bertui.ui.screens.dialogs.dialog import Dialog
from bertui.ui.text import outside

DEFAULT_NAME = "bertui-results.json"


def write_error(path: Path, error: OSError) -> str:
    """What went wrong, in words that say what to change."""
    if isinstance(error, PermissionError):
        return f"Permission denied: cannot write {path}. Choose a folder you can write to."
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder: add a file name."
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return f"No such folder: {path.parent}. Create it first, or choose another."
    return f"Cannot write {path}: {error.strerror or error}"


class ExportScreen(Dialog[Path | None]):
    """Dismisses with the path written, or None when cancelled.

    ``render(format)`` gives the text to write; a ValueError from it is shown as the reason.
    """

    DEFAULT_CSS = """
    ExportScreen #export-format { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    said: var[tuple[str, str]] = var(("", ""), init=False, always_update=True)
    """The dialog's last word under the field: (text, tone: "" or a CSS class such as "-warning")."""

    def __init__(self, render: Callable[[str], str], name: str = DEFAULT_NAME) -> None:
        super().__init__()
        self._text_for = render
        self._file_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Export the current view")
            yield Input(self._file_name, id="export-path", placeholder="file name: .json, .md or .csv")
            yield Select([(label, fmt) for fmt, label in FORMATS.items()], value=format_for(self._file_name),
                         allow_blank=False, id="export-format", compact=True)
            yield Label(id="export-message", classes="hint")
            yield Label("enter writes · escape cancels · the format follows the file name's ending",
                        classes="hint")

    def on_mount(self) -> None:
        self._describe(self._file_name)

    @property
    def path(self) -> Path:
        return Path(self.query_one("#export-path", Input).value.strip()).expanduser()

    @on(Input.Changed, "#export-path")
    def _name_changed(self, event: Input.Changed) -> None:
        chooser = self.query_one("#export-format", Select)
        chooser.value = format_for(event.value.strip(), str(chooser.value))
        self._describe(event.value.strip())

    def _describe(self, name: str) -> None:
        """Warn before a file is replaced; otherwise say where it goes."""
        path = Path(name).expanduser()
        if not name:
            self._say("")
        elif self.app.is_web:  # the server's files are not the person's: neither looked at nor written
            self._say(f"Downloads {download_name(name, DEFAULT_NAME)} in your browser")
        elif path.is_file():
            self._say(f"{path} exists: enter replaces it.", "-warning")
        else:
            self._say(f"Writes {path.absolute()}")

    def _say(self, text: str, tone: str = "") -> None:
        self.said = text, tone

    def watch_said(self, said: tuple[str, str]) -> None:
        text, tone = said
        message = self.query_one("#export-message", Label)
        message.update(outside(text))  # it names the file typed
        message.set_classes(f"hint {tone}".strip())

    @on(Input.Submitted, "#export-path")
    def _write(self) -> None:
        path = self.path
        if not str(self.query_one("#export-path", Input).value).strip():
            self._say("Type a file name first.", "-error")
            return
        try:
            text = self._text_for(str(self.query_one("#export-format", Select).value))
            text.encode("utf-8")  # checked before the file is opened: a failure must not empty an old file
        except UnicodeEncodeError as error:
            self._say(f"Cannot write this as UTF-8 (character {error.start}: {error.reason}).", "-error")
            return
        except ValueError as error:
            self._say(str(error), "-error")
            return
        if self.app.is_web:
            fmt = str(self.query_one("#export-format", Select).value)
            deliver(self.app, text, download_name(str(path), DEFAULT_NAME), fmt)
            self.dismiss(None)
            return
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            self._say(write_error(path, error), "-error")
            return
        self.dismiss(path)
