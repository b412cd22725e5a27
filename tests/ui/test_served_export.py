"""A served app (``bertui serve``): Export… and ctrl+y hand the file to the browser, and the server's
disk is neither written nor looked at. The browser end is in tests/test_serve_access.py."""

from __future__ import annotations

import json

from bertui.ui.app import BertuiApp
from bertui.ui.screens.dialogs.export_file import ExportScreen
from tests.ui.conftest import settle, until
from tests.ui.test_export_dialog import export, message, name_file


def served(monkeypatch) -> list[dict]:
    """The app class believes it runs in a browser; what it delivers is kept, not sent."""
    delivered = []

    def deliver_text(app, file, **options):
        delivered.append(dict(options, text=file.read()))

    monkeypatch.setattr(BertuiApp, "is_web", property(lambda app: True))
    monkeypatch.setattr(BertuiApp, "deliver_text", deliver_text)
    return delivered


async def test_export_is_a_download_named_without_folders(make_app, tmp_path, monkeypatch):
    delivered = served(monkeypatch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.md").write_text("the server's own file", encoding="utf-8")
    app = make_app(text_a="the [MASK] ate my [MASK] .")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        await name_file(pilot, "taken.md")
        assert message(app) == "Downloads taken.md in your browser"  # no word of the server's file
        app.screen.dismiss(None)
        await export(pilot, "../../elsewhere/~/.bashrc.md")
        assert not isinstance(app.screen, ExportScreen)
        await pilot.press("ctrl+y")
        await until(pilot, lambda: len(delivered) == 2, "the copy delivered")
    report, copied = delivered
    assert report["save_filename"] == ".bashrc.md" and report["mime_type"] == "text/markdown"
    assert report["text"].startswith("#") and "ate my" in report["text"]
    assert copied["save_filename"] == "bertui-results.json" and copied["mime_type"] == "application/json"
    assert json.loads(copied["text"])["fill"]["masks"]
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["taken.md"]
    assert (tmp_path / "taken.md").read_text(encoding="utf-8") == "the server's own file"
