"""The hostile-input table: texts and candidate lists a person might type, paste or pipe in.

Each case says only what the input is; the tests compute what the answer must be independently (the
tokenizer's own call on the same text, the count of masks the person wrote, the text echoed literally).
"""

from __future__ import annotations

from dataclasses import dataclass

ESC_CODES = "a\x1b[31mred\x1b[0m \x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\ [MASK] \x9b2J \x00\x07\x08 end"
MARKUP = "[bold]x[/] is [MASK] [link=https://x]y[/link] [/] [red"


@dataclass(frozen=True)
class Case:
    name: str
    text_a: str
    text_b: str | None = None
    candidates: tuple[str, ...] = ()
    top_k: int = 5


CASES = [
    Case("empty", ""),
    Case("spaces", "     "),
    Case("newlines", "\n\n\r\n\t \n"),
    Case("no mask", "the dog ate my pizza ."),
    Case("one mask", "the dog ate my [MASK] ."),
    Case("thirty masks", " ".join(["[MASK]"] * 30)),
    Case("only a mask", "[MASK]"),
    Case("lower-case mask", "the [mask] is blue"),
    Case("mixed-case mask", "the [MaSk] is blue"),
    Case("roberta spelling", "the <mask> is blue"),
    Case("mask glued to words", "word[MASK]word"),
    Case("masks glued together", "[MASK][MASK][MASK]"),
    Case("broken mask spellings", "[MASK [MAS K] MASK] [ MASK ]"),
    Case("far past max length", "the dog " * 400 + "[MASK]"),
    Case("mask after the cut", "the dog " * 200 + "[MASK]"),
    Case("one long word", "x" * 5000 + " [MASK]"),
    Case("CJK", "我爱北京天安门 [MASK] 東京 서울"),
    Case("emoji", "😀 the [MASK] 👍🏽 👨‍👩‍👧‍👦 🇫🇷"),
    Case("combining marks", "e\u0301 n\u0303 Z\u0351\u0352\u0353\u0354 [MASK] a\u0308"),
    Case("right to left", "שלום עולם [MASK] مرحبا بالعالم"),
    Case("bidi override", "abc \u202edcba\u202c [MASK]"),
    Case("zero-width", "a\u200b[MASK]\u200d b\ufeff c\u2060"),
    Case("only zero-width", "\u200b\u200c\u200d\ufeff"),
    Case("control characters", "a\x00b\x01c\x07d\x08e\x7ff [MASK]"),
    Case("ANSI escapes", ESC_CODES),
    Case("C1 controls", "\x85\x9b31m\x9c [MASK] \x90q\x9c"),
    Case("rich markup", MARKUP),
    Case("markup in a pair", "[MASK] [bold]", "[/] [link=https://x]b"),
    Case("lone surrogate", "caf\udce9 [MASK]"),
    Case("private use", "\ue000\uf8ff [MASK] \U000f0000"),
    Case("non-characters", "\ufffe\uffff [MASK] \U0010ffff"),
    Case("pair, both empty", "", ""),
    Case("pair, B only masks", "the dog .", "[MASK] [MASK]"),
    Case("pair past max length", "the dog " * 100, "a cat [MASK] " * 100),
    Case("no candidates", "the dog .", candidates=()),
    Case("one candidate", "the dog .", candidates=("it was good .",)),
    Case("duplicate candidates", "the dog .", candidates=("it was good .",) * 3 + ("the sky is blue .",)),
    Case("empty candidates", "the dog .", candidates=("", " ", "\n")),
    Case("hostile candidates", "the dog .", candidates=(MARKUP, ESC_CODES, "caf\udce9", "😀" * 300)),
    Case("thousand candidates", "the dog .",
         candidates=tuple(f"candidate {i} is here ." for i in range(1000))),
    Case("candidate past max length", "the dog .", candidates=("the sky " * 300,)),
    Case("top-k one", "the [MASK] .", top_k=1),
    Case("top-k past the vocabulary", "the [MASK] .", top_k=10**9),
]
