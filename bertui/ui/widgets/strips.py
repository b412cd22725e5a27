"""The token grid's optional last rows, one cell per token: the surprisal strip and the Why strip.

- surprisal: each scored token's rank when it alone is masked, on a colour from green to red;
- why: how much each input token moves the explained log-probability (``Explanation``), as a signed
  percentage of the largest score: green where the token supports the explained prediction, red where it
  speaks against it (with a contrast: for the target rather than the contrast, and against). In the word
  view a word's score (its pieces' sum) stands in its first piece, its other pieces take its colour.

Cells are (text, style); the grid measures, cuts and draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.dom import DOMNode
from textual.style import Style

from bertui.engine.inside_results import Explanation
from bertui.engine.results import Surprisal
from bertui.ui.text import outside
from bertui.ui.widgets.heat import SurprisalScale, shade, theme_colors

Cell = tuple[str, Style | str]
BLANK: Cell = ("", "")
METHOD_NAMES = {"grad-input": "gradient × input", "grad-norm": "gradient norm", "ig": "integrated gradients",
                "rollout": "attention rollout"}


@dataclass(frozen=True)
class WhyStrip:
    """What the Why strip shows: an explanation, or ``note`` (why there is none yet, or at all)."""

    explanation: Explanation | None = None
    note: str = ""
    words: bool = False
    """The word view: each word's pieces summed."""


def surprisal_cells(surprisal: Surprisal, count: int, node: DOMNode) -> list[Cell]:
    """Each scored token's rank on its surprisal colour; special tokens and masks stay blank."""
    scale = SurprisalScale(node)
    scored = {token.position: token for token in surprisal.tokens}
    return [BLANK if (token := scored.get(position)) is None else
            (str(token.rank), scale.style(token.surprisal)) for position in range(count)]


def share_text(share: float) -> str:
    """A signed whole percentage with the true minus sign: "+72", "−8", "0"."""
    value = round(share * 100)
    return "0" if value == 0 else f"{'+' if value > 0 else '−'}{abs(value)}"


def why_cells(strip: WhyStrip, count: int, node: DOMNode) -> list[Cell]:
    """Each token's score as a share of the largest (in the word view: each word's, at its first piece)."""
    explanation = strip.explanation
    if explanation is None:
        return [BLANK] * count
    scores = list(explanation.scores)
    later_pieces: set[int] = set()
    if strip.words:
        for word in explanation.words:
            for position in word.positions:
                scores[position] = word.score
            later_pieces.update(word.positions[1:])
    largest = max((abs(score) for score in scores), default=0.0) or 1.0
    surface, support, against = theme_colors(node, "surface", "success", "error")
    cells: list[Cell] = []
    for position, score in enumerate(scores[:count]):
        share = score / largest
        style = shade(surface, support if share >= 0 else against, abs(share))
        cells.append(("" if position in later_pieces else share_text(share), style))
    return cells + [BLANK] * (count - len(cells))


def why_title(strip: WhyStrip) -> Content:
    """The grid title's part for the strip: what is explained, by which method."""
    explanation = strip.explanation
    if explanation is None:
        return Content("why")
    parts = [Content("why "), outside(explanation.target.token_str.strip(), "bold")]
    if explanation.contrast is not None:
        parts += [Content(" rather than "), outside(explanation.contrast.token_str.strip(), "bold")]
    parts.append(Content(f" · {METHOD_NAMES.get(explanation.method, explanation.method)}"))
    if strip.words:
        parts.append(Content(" · words"))
    if explanation.delta is not None:
        parts.append(Content(f" · δ {explanation.delta:.2g}"))
    return Content.assemble(*parts)
