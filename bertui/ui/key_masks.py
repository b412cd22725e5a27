"""Tokens masked from the grid (``m`` / ``w``), tied to the text they were chosen in.

Positions index the tokens of one text or pair. Once the text changes they may point at other tokens
or past the end, and the UI has no tokenizer to map them across the edit, so they are dropped then
rather than guessed at: the person masks again in the new text. Changing only k or the candidates
keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

Texts = tuple[str, str | None]
"""(sentence A, sentence B or None outside pair mode): what the positions index."""


@dataclass(frozen=True)
class KeyMasks:
    texts: Texts = ("", None)
    positions: tuple[int, ...] = ()

    def for_texts(self, texts: Texts) -> tuple[int, ...]:
        """The positions to mask in ``texts``: none unless they are the texts the masks were set in."""
        return self.positions if texts == self.texts else ()

    def toggled(self, texts: Texts, positions: tuple[int, ...]) -> KeyMasks:
        """Unmask ``positions`` if all are masked, else mask them all (a word half masked gets whole)."""
        current = set(self.for_texts(texts))
        chosen = set(positions)
        current = current - chosen if chosen <= current else current | chosen
        return KeyMasks(texts, tuple(sorted(current)))
