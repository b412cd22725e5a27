"""The model card: what the loaded model is, where it runs, and how long it took to load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from bertui.engine.results import ModelInfo
from bertui.ui.text import outside

DEMO_LABEL = "demo model — random predictions"


def parameters(count: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return str(count)


def timings(info: ModelInfo) -> list[tuple[str, str]]:
    """The card's rows that change from run to run."""
    return [("Loaded in", f"{info.load_seconds:.2f} s")]


def heads(info: ModelInfo) -> str:
    """Every model bertui loads has a masked-LM head (loading refuses one without)."""
    return "masked LM + NSP" if info.has_nsp_head else "masked LM"


@dataclass(frozen=True)
class CardState:
    """``spec`` and what it is (``info``, once loaded), or that it ``failed`` to load; neither: it loads."""

    spec: str
    info: ModelInfo | None = None
    failed: bool = False


class ModelCard(Static):
    DEFAULT_CLASSES = "pane"  # framed beside the results; its dialog (dialogs/card.py) frames it itself

    state: reactive[CardState | None] = reactive(None)
    """The model the card describes; None leaves it blank."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Model"

    def watch_state(self, state: CardState | None) -> None:
        if state is None:
            self.update("")
        elif state.info is not None:
            self._show(state.spec, state.info)
        elif state.failed:
            self.update(Content.assemble(("No model: ", "$text-error"), outside(state.spec),
                                         (" could not be loaded.", "$text-error")))
        else:
            self.update(Content.assemble(("Loading ", "$text-muted"), outside(state.spec),
                                         ("…", "$text-muted")))

    def _show(self, spec: str, info: ModelInfo) -> None:
        rows = [
            ("Architecture", info.architecture),
            ("Layers", f"{info.layers} · hidden {info.hidden_size} · heads {info.heads}"),
            ("Parameters", parameters(info.parameters)),
            ("Vocabulary", f"{info.vocab_size:,} · max {info.max_length} tokens"),
            ("Tokenizer", f"{info.tokenizer_class} ({info.model_type})"),
            ("Heads", heads(info)),
            ("Device", f"{info.device} · {info.dtype}"),
            *timings(info),
        ]
        lines = [outside(spec, "bold")]
        if info.is_demo:
            lines.append(Content.styled(DEMO_LABEL, "$text-warning"))
        width = max(len(name) for name, _ in rows) + 1
        lines += [Content.assemble((name.ljust(width), "$text-muted"), outside(value)) for name,
                  value in rows]
        self.update(Content("\n").join(lines))
