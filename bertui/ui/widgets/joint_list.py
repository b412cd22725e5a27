"""The "together" list: the best fillings of all the masks at once, beside each mask's own list.

Each mask's own top-k ignores what fills the others, so its first choices need not fit together; these
fillings come from the engine's beam and are ranked by their masked positions' PLL (see engine/joint.py).
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from bertui.engine.results import JointFill
from bertui.ui.text import outside, signed


class JointList(Static):
    """Drawn to its width: a filling is cut before its score would wrap under it."""

    DEFAULT_CSS = """
    JointList { margin-top: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._joint: JointFill | None = None

    def show(self, joint: JointFill | None) -> None:
        """``joint`` None (fewer than two masks, or not asked): the list is hidden."""
        self._joint = joint
        self.display = joint is not None
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        joint = self._joint
        if joint is None:
            return
        lines = [Content.assemble(("Together", "$text-accent bold"),
                                  (f" · {len(joint.positions)} masks · beam {joint.beam}", "$text-muted"))]
        rows = [Content(" · ").join(outside(token.strip() or token, "bold") for token in filling.tokens)
                for filling in joint.fillings]
        scores = max(5, *(len(f"{filling.score:.2f}") for filling in joint.fillings))
        room = (self.size.width or 80) - 8 - scores
        width = max(5, min(28, room, max((row.cell_length for row in rows), default=5)))
        # The score: each filled token's log-probability given all the others filled, summed.
        lines.append(Content.styled(f"      {'fill':<{width}}  log p", "$text-muted"))
        for rank, (row, filling) in enumerate(zip(rows, joint.fillings), start=1):
            lines.append(Content.assemble((f"{rank:>3}   ", "$text-muted"), row.truncate(width, ellipsis=True,
                                                                                       pad=True),
                                          f"  {signed(filling.score)}"))
        self.update(Content("\n").join(lines))
