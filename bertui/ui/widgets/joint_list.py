"""The "together" list: the best fillings of all the masks at once, beside each mask's own list.

Each mask's own top-k ignores what fills the others, so its first choices need not fit together; these
fillings come from the engine's beam and are ranked by their masked positions' PLL (see engine/joint.py).
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from bertui.engine.results import JointFill
from bertui.ui.text import outside


class JointList(Static):
    DEFAULT_CSS = """
    JointList { margin-top: 1; }
    """

    def show(self, joint: JointFill | None) -> None:
        """``joint`` None (fewer than two masks, or not asked): the list is hidden."""
        self.display = joint is not None
        if joint is None:
            return
        lines = [Content.assemble(("Together", "$text-accent bold"),
                                  (f" · {len(joint.positions)} masks · beam {joint.beam}", "$text-muted"))]
        rows = [Content(" · ").join(outside(token.strip() or token, "bold") for token in filling.tokens)
                for filling in joint.fillings]
        width = min(28, max(5, *(row.cell_length for row in rows))) if rows else 5
        # The score: each filled token's log-probability given all the others filled, summed.
        lines.append(Content.styled(f"      {'fill':<{width}}  log p", "$text-muted"))
        for rank, (row, filling) in enumerate(zip(rows, joint.fillings), start=1):
            lines.append(Content.assemble((f"{rank:>3}   ", "$text-muted"), row.truncate(width, ellipsis=True,
                                                                                       pad=True),
                                          f"  {filling.score:.2f}".replace("-", "−")))
        self.update(Content("\n").join(lines))
