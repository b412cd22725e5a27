"""The layer lens of the selected token (or, when it has none, of the first mask): how the guess forms.

One row per layer, the embeddings first: the top 3 of the model's own masked-LM head read at that layer,
each on a shade of its probability; the model's final answer is underlined wherever it shows, the last
column gives its rank at that layer, and the row from which it stays on top is marked ("formed at").
The app asks for the lens only while the view is open. Vocabulary text is drawn through ``outside``.
"""

from __future__ import annotations

from typing import Any

from textual.color import Color
from textual.content import Content
from textual.reactive import var

from bertui.engine.inside_results import Lens, LensLayer, MaskLens, Unavailable
from bertui.ui.text import drawn, fit, outside
from bertui.ui.widgets.answer_pane import AnswerPane
from bertui.ui.widgets.heat import room_in, shade, theme_colors

SHOWN = 3
"""Candidates a row shows."""
LAYER = 6
"""Cells of the layer column: a mark, the number, two spaces."""
RANK = 6
"""Cells of the final answer's rank column."""
FORMED = "▸"
WORD_MOST = 18
"""Cells a word takes at most (a wide pane keeps the columns together)."""


def rank_text(rank: int) -> str:
    """A rank in at most five cells: #7, #123, #8.1k."""
    return f"#{rank}" if rank < 1000 else f"#{rank / 1000:.1f}k" if rank < 100_000 else "#many"


def percent_text(probability: float) -> str:
    """A probability in three cells: 41%, 5%, <1%."""
    return f"{round(probability * 100)}%" if probability >= 0.005 else "<1%"


class LensView(AnswerPane):
    BODY = "lens-body"
    DEFAULT_CSS = """
    LensView {
        #lens-body { width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    }
    """

    answer: var[Lens | Unavailable | None] = var(None, init=False, always_update=True)
    """The lens of the text on screen. ``position``: the grid's selected token, whose lens is shown if
    the answer has one, else the first mask's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Layer lens"

    def show(self, lens: Lens | Unavailable, position: int) -> None:
        self.set_reactive(LensView.position, position)
        self.answer = lens

    def shown(self) -> MaskLens | None:
        """The lens of the selected token, else of the first mask (None without an answer)."""
        lens = self.answer
        if not isinstance(lens, Lens) or not lens.masks:
            return None
        return next((mask for mask in lens.masks if mask.position == self.position), lens.masks[0])

    def _draw(self) -> None:
        body = self.body
        self.border_title, self.border_subtitle = "Layer lens", ""
        lens, mask = self.answer, self.shown()
        if mask is None or not isinstance(lens, Lens):
            note = lens.reason if isinstance(lens, Unavailable) else self.note
            body.update(outside(note, "$text-muted"))  # the engine's reason may quote the model's words
            return
        token = lens.encoding.tokens[mask.position]
        self.border_title = Content.assemble(f"Layer lens · {mask.position} ", outside(token, "bold"))
        self.border_subtitle = Content.assemble(outside(drawn(mask.final.token_str.strip())),
                                                f" formed at layer {mask.formed_at} of {lens.layers}")
        cells = min(WORD_MOST, max(3, room_in(self) - LAYER - RANK) // SHOWN - 5)
        header = Content.styled(fit("layer", LAYER) + fit(f"top {SHOWN}", (cells + 5) * SHOWN) + "final",
                                "$text-muted")
        shades = theme_colors(self, "surface", "accent")
        body.update(Content("\n").join([header, *(self._row(layer, mask, cells, shades)
                                                  for layer in mask.layers)]))

    @staticmethod
    def _row(layer: LensLayer, mask: MaskLens, cells: int, shades: tuple[Color, ...]) -> Content:
        """One layer: its number (marked where the answer forms), its top 3 shaded from ``shades[0]`` to
        ``shades[1]`` by probability, the answer's rank."""
        mark = FORMED if layer.layer == mask.formed_at else " "
        parts = [Content.styled(f"{mark}{layer.layer:>3}  ", "$text-accent bold" if mark != " " else "")]
        surface, accent = shades
        for candidate in layer.top[:SHOWN]:
            word = drawn(candidate.token_str.strip()) or "·"
            style = shade(surface, accent, candidate.probability)
            final = "bold underline" if candidate.token == mask.final.token else ""
            shown = fit(word, cells)
            parts += [outside(shown.rstrip(), final), Content(" " * (len(shown) - len(shown.rstrip())) + " "),
                      Content.styled(f"{percent_text(candidate.probability):>3}", style), Content(" ")]
        on_top = layer.final_rank == 1
        parts += [Content(" " * ((cells + 5) * (SHOWN - len(layer.top[:SHOWN])))),
                  Content.styled(rank_text(layer.final_rank), "bold" if on_top else "$text-muted")]
        return Content.assemble(*parts)
