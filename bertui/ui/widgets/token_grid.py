"""The token grid: one column per WordPiece token, rows token / input id / segment / attention mask."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from bertui.engine.results import Encoding
from bertui.ui.messages import TokenSelected
from bertui.ui.visible import visible

ROWS = ("token", "id", "segment", "attention")


class TokenGrid(DataTable):
    """Special tokens, masks and the two segments each have their own look; columns scroll sideways.

    Moving the cursor column selects a token; the app marks its characters in the sentence it came from.
    """

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "token-grid--special", "token-grid--mask", "token-grid--segment-a", "token-grid--segment-b",
    }
    DEFAULT_CSS = """
    TokenGrid > .token-grid--special { color: $text-muted; text-style: italic; }
    TokenGrid > .token-grid--mask { color: $text-warning; background: $warning-muted; text-style: bold; }
    TokenGrid > .token-grid--segment-a { color: $text-primary; }
    TokenGrid > .token-grid--segment-b { color: $text-success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor_left", "Previous token", show=False),
        Binding("right", "cursor_right", "Next token", show=False),
        Binding("home", "scroll_home", "First token", show=False),
        Binding("end", "scroll_end", "Last token", show=False),
    ]
    BINDING_GROUP_TITLE = "Token grid"

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="column", zebra_stripes=False, **kwargs)
        self.encoding: Encoding | None = None
        self.border_title = "Tokens"

    def show(self, encoding: Encoding, follow: tuple[int, int] | None = None) -> None:
        """Show ``encoding``; put the cursor on the token at ``follow`` = (sequence, character) if given."""
        keep = self.cursor_column
        self.encoding = encoding
        self.clear(columns=True)
        for position in range(len(encoding.tokens)):
            self.add_column(Text(str(position), style="dim"), key=str(position))
        for name, row in zip(ROWS, self._rows(encoding)):
            self.add_row(*row, label=Text(name), key=name)
        column = keep if follow is None else self._token_at(*follow)
        self.move_cursor(column=min(column, len(encoding.tokens) - 1), animate=False)
        count = len(encoding.tokens)
        self.border_title = f"Tokens · {count}"
        self.border_subtitle = (f"{encoding.truncated} tokens cut at the model's max length"
                                if encoding.truncated else "")
        self.set_class(bool(encoding.truncated), "-truncated")

    def _rows(self, encoding: Encoding) -> tuple[list[Text], ...]:
        special = self.get_component_rich_style("token-grid--special", partial=True)
        mask = self.get_component_rich_style("token-grid--mask", partial=True)
        segments = (self.get_component_rich_style("token-grid--segment-a", partial=True),
                    self.get_component_rich_style("token-grid--segment-b", partial=True))
        masks = set(encoding.mask_positions)
        tokens, ids, types, attention = [], [], [], []
        for position, token in enumerate(encoding.tokens):
            segment = segments[encoding.token_type_ids[position] % 2]
            if position in masks:
                look = mask
            elif encoding.special[position]:
                look = special
            else:
                look = segment
            tokens.append(Text(visible(token), style=look))
            ids.append(Text(str(encoding.input_ids[position]), style=look if position in masks else Style()))
            types.append(Text("AB"[encoding.token_type_ids[position] % 2], style=segment))
            attention.append(Text(str(encoding.attention_mask[position])))
        return tokens, ids, types, attention

    def _token_at(self, sequence: int, caret: int) -> int:
        """The token of ``sequence`` just left of ``caret`` (the one being typed); else the cursor's."""
        found = self.cursor_column
        for position, (owner, (start, _end)) in enumerate(zip(self.encoding.sequence_ids,
                                                               self.encoding.offsets)):
            if owner == sequence and start < max(caret, 1):
                found = position
        return found

    def selected(self) -> tuple[int | None, tuple[int, int] | None]:
        """(sequence, character span) of the token under the cursor; (None, None) for a special token."""
        if self.encoding is None or not self.encoding.tokens:
            return None, None
        position = min(self.cursor_column, len(self.encoding.tokens) - 1)
        sequence = self.encoding.sequence_ids[position]
        return (None, None) if sequence is None else (sequence, self.encoding.offsets[position])

    @on(DataTable.ColumnHighlighted)
    def _announce(self, event: DataTable.ColumnHighlighted) -> None:
        event.stop()
        if self.has_focus:
            self.post_message(TokenSelected(*self.selected()))

    def on_focus(self) -> None:
        self.post_message(TokenSelected(*self.selected()))

    def on_blur(self) -> None:
        self.post_message(TokenSelected(None, None))
