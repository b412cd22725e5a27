"""The one door for outside text, and the width it takes on screen.

**Control characters.** User text, model specs, file paths and a checkpoint's own vocabulary can all hold
control characters: ESC starts an escape sequence, C1 0x9b is a one-byte CSI, NUL and BEL do their own
things. None of them may reach the terminal raw, so every such character is drawn as its Unicode "control
picture" (ESC → ␛, NUL → ␀, newline → ␊) or, for the C1 range, as U+FFFD. One character becomes one
character, so offsets into the text (the cursor, token spans) stay valid. ``outside`` is the short way to
put such text on screen: it returns Content, which is never markup.

**Widths.** A terminal and Rich agree on most characters, but not on the ones a WordPiece vocabulary is
full of once a tokenizer strips accents: a bare combining mark (``##\u0301``) has no base to sit on, and a
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
from rich.highlighter import Highlighter
from rich.text import Text
from textual.content import Content

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_PICTURES = {**{code: 0x2400 + code for code in range(0x20)}, 0x7F: 0x2421,
             **dict.fromkeys(range(0x80, 0xA0), 0xFFFD)}


def probability_text(probability: float) -> str:
    """A probability as bertui prints it: a percentage to a tenth while it reads as one, else in
    scientific form (a real token can be far less likely than 0.1 %)."""
    return f"{probability * 100:.1f}%" if probability >= 0.001 else f"{probability:.1e}"


def visible(text: str) -> str:
    """``text`` with every control character replaced by a visible symbol of the same length."""
    return text.translate(_PICTURES) if _CONTROL.search(text) else text


def outside(text: str, style: str = "") -> Content:
    """Text from outside (typed, pasted, a vocabulary entry, a spec, a path, an error) as Content: every
    control character shown as a symbol, and never read as markup. The way to put such text on screen."""
    return Content.styled(visible(text), style) if style else Content(visible(text))


def show_controls(text: Text) -> None:
    """Replace control characters of a Rich Text in place; its spans stay where they were."""
    plain = text.plain
    shown = visible(plain)
    if shown is not plain:
        text.plain = shown


class ShowControls(Highlighter):
    """For an Input that shows text a person pasted (a pasted ESC must not reach the terminal)."""

    def highlight(self, text: Text) -> None:
        show_controls(text)


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


def signed(value: float, digits: int = 2) -> str:
    """A number as every pane prints it: a true minus sign (−), never a hyphen."""
    return f"{value:.{digits}f}".replace("-", "−")


_JOINERS = re.compile("[\u200d\ufe0f\U0001f3fb-\U0001f3ff]")
WORD_JOINER = "\u2060"


def unjoined(text: str) -> str:
    """``text`` with what joins emoji into one (ZWJ, VS16, skin tones) drawn as a word joiner.

    Terminals and Rich disagree on a joined emoji's width (tmux draws 👍🏽 in four cells, Rich counts two;
    ☃ with VS16: one and two), and a field whose line is wider on screen than Rich thinks loses its right
    border. They agree on the parts. One character for one: a field's offsets stay valid, and its value
    keeps what was typed.
    """
    return _JOINERS.sub(WORD_JOINER, text) if _JOINERS.search(text) else text
