"""The views inside the model, in one container: attention, the layer lens, the embeddings (and nearest
tokens), top to bottom.

The views are made and mounted the first time one opens (``open``), so their modules (and numpy's
annotations) are not imported before the first paint. The screen feeds the container through two
reactives, the answer on screen and the grid's selected token; their watchers pass each open view its
part, and only an answer to a request that asked for a view is shown in it (until one comes, the view
says it is asking). Which views show is the screen's CSS (its ``-attention`` / ``-lens`` /
``-embeddings`` classes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.containers import Vertical
from textual.reactive import var
from textual.widget import Widget

from bertui.ui.ledger import Shown

if TYPE_CHECKING:  # made on first use, so their imports are not paid before the first paint
    from bertui.ui.widgets.attention_view import AttentionView
    from bertui.ui.widgets.embedding_pane import EmbeddingPane
    from bertui.ui.widgets.lens_view import LensView

    View = AttentionView | EmbeddingPane | LensView



class InsideViews(Vertical):
    shown: var[Shown | None] = var(None, init=False, always_update=True)
    """The answer on screen, and the request it answers (which says the views it was asked for)."""
    position: var[int] = var(0, init=False)
    """The grid's selected token: the one whose attention and embeddings are shown."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opened: set[str] = set()
        """The views open now: "attention", "lens", "embeddings"."""

    @property
    def attention(self) -> AttentionView | None:
        """The attention view, once made and mounted."""
        return cast("AttentionView | None", self._made("attention"))

    @property
    def embeddings(self) -> EmbeddingPane | None:
        """The embedding view, once made and mounted."""
        return cast("EmbeddingPane | None", self._made("embeddings"))

    @property
    def lens(self) -> LensView | None:
        """The layer lens, once made and mounted."""
        return cast("LensView | None", self._made("lens"))

    @property
    def attention_layer(self) -> int:
        """The layer the attention view shows (0 before it is made)."""
        view = self.attention
        return 0 if view is None else view.layer_index

    def _made(self, name: str) -> Widget | None:
        found = self.query(f"#{name}")
        return found.first() if found and found.first().is_mounted else None

    async def open(self, name: str, opening: bool, note: str) -> View:
        """Open or close the view ``name``, made on first use; an opened view says ``note`` until the
        model answers for it."""
        if opening:
            self.opened.add(name)
        else:
            self.opened.discard(name)
        if self.attention is None:
            from bertui.ui.widgets.attention_view import AttentionView
            from bertui.ui.widgets.embedding_pane import EmbeddingPane
            from bertui.ui.widgets.lens_view import LensView

            await self.mount(AttentionView(id="attention"), LensView(id="lens"),
                             EmbeddingPane(id="embeddings"))
        view = cast("View | None", self._made(name))
        assert view is not None
        if opening:
            view.waiting(note)
        return view

    def watch_shown(self) -> None:
        self._feed()

    def watch_position(self) -> None:
        self._feed()

    def _feed(self) -> None:
        """Each open view's part of the answer on screen, from the selected token."""
        shown = self.shown
        if shown is None or not self.opened:
            return
        request, analysis = shown
        attention, embeddings, lens = self.attention, self.embeddings, self.lens
        inside = analysis.inside
        if "attention" in self.opened and analysis.attention is not None and attention is not None:
            attention.show(analysis.attention, analysis.encoding, self.position)
        if "embeddings" in self.opened and request.embeddings and embeddings is not None:
            embeddings.show(analysis.embeddings, analysis.encoding, self.position,
                            None if inside is None else inside.near)
        if "lens" in self.opened and inside is not None and inside.lens is not None and lens is not None:
            lens.show(inside.lens, self.position)
