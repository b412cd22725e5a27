"""Tokens in a form every terminal draws at the same width, and that width in cells.

A terminal and Rich agree on most characters, but not on the ones a WordPiece vocabulary is full of
once a tokenizer strips accents: a bare combining mark (``##\u0301``) has no base to sit on, and a
conjoining Hangul jamo (``ᄎ ##ᅮ ##ᆨ``, what an uncased BERT makes of "축") is drawn at zero, one or two
cells depending on the terminal and on what stands before it. ``drawn`` rewrites such text:

- runs of conjoining jamo are composed into syllables where they form one (``ᄎ``+``ᅮ``+``ᆨ`` → ``축``);
  a jamo left alone is drawn as its compatibility letter (``ᅮ`` → ``ㅜ``), two cells everywhere;
- a combining mark with no base is drawn on a dotted circle (``◌́``), one grapheme in every terminal;
- zero-width and direction-changing characters (ZWSP, ZWJ outside an emoji, LRM/RLM, bidi embeddings
  and overrides, BOM, soft hyphen) are shown by name (``‹ZWSP›``): invisible, they would leave an empty
  cell, and an override would reverse the columns after it;
- control characters become their control pictures (``visible``).

``width`` is the width of drawn text in cells, grapheme by grapheme; it equals ``wcwidth.wcswidth``
(the tests check it) without needing that package. ``fit`` cuts or pads drawn text to a width.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rich.cells import cell_len

from bertui.ui.visible import visible

DOTTED_CIRCLE = "\u25cc"
_NAMED = {"\u00ad": "SHY", "\u200b": "ZWSP", "\u200c": "ZWNJ", "\u200d": "ZWJ", "\u200e": "LRM",
          "\u200f": "RLM", "\u2060": "WJ", "\ufeff": "BOM", "\u061c": "ALM", "\u202a": "LRE",
          "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO", "\u2066": "LRI",
          "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI"}
_JAMO = re.compile("[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]+")
_PICTOGRAPH = "\U0001f000-\U0001faff\u2600-\u27bf"
_EMOJI_JOIN = re.compile(f"(?<=[{_PICTOGRAPH}\ufe0f])\u200d(?=[{_PICTOGRAPH}])")
_ZERO = re.compile("[" + "".join(_NAMED) + "]")


@lru_cache(maxsize=512)
def _letter(jamo: str) -> str:
    """A conjoining jamo's compatibility letter (two cells everywhere); on a dotted circle if it has none."""
    name = unicodedata.name(jamo, "")
    for part in ("CHOSEONG ", "JUNGSEONG ", "JONGSEONG "):
        if part in name:
            try:
                return unicodedata.lookup(name.replace(part, "LETTER "))
            except KeyError:
                break
    return DOTTED_CIRCLE + jamo if unicodedata.combining(jamo) or cell_len(jamo) < 2 else jamo


def _syllables(match: re.Match[str]) -> str:
    """Compose a jamo run; letters for whatever does not become a syllable (or a lone leading jamo)."""
    composed = unicodedata.normalize("NFC", match.group())
    return "".join(char if "\uac00" <= char <= "\ud7a3" else _letter(char) for char in composed)


def _name(match: re.Match[str]) -> str:
    return f"‹{_NAMED[match.group()]}›"


@lru_cache(maxsize=65536)
def drawn(text: str) -> str:
    """``text`` as the grid, the predictions and every ranking pane draw it (see the module's list)."""
    text = visible(text)
    if _JAMO.search(text):
        text = _JAMO.sub(_syllables, text)
    if _ZERO.search(text):
        joined = _EMOJI_JOIN.sub("\0", text)  # a ZWJ inside an emoji sequence is the emoji's own
        text = _ZERO.sub(_name, joined).replace("\0", "\u200d")
    return _on_circles(text)


def _on_circles(text: str) -> str:
    """Every combining mark with no base (at the start, after "##", a space or another such) on ◌."""
    out = []
    base = False
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
            if not base:
                out.append(DOTTED_CIRCLE)
                base = True
        else:
            base = not (char.isspace() or char == "#" or unicodedata.category(char).startswith("C"))
        out.append(char)
    return "".join(out)


def width(text: str) -> int:
    """Cells that drawn ``text`` takes: Rich's (and a terminal's) count, grapheme by grapheme."""
    return cell_len(text)


def fit(text: str, cells: int) -> str:
    """Drawn ``text`` cut to at most ``cells`` cells (never half a wide character), padded to exactly that."""
    if width(text) <= cells:
        return text + " " * (cells - width(text))
    end = len(text)
    while width(text[:end]) > cells:
        end -= 1
    return text[:end] + " " * (cells - width(text[:end]))
