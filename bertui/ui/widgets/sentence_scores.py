"""The sentence's scores beside the surprisal strip: PLL and PLL word-l2r, and which one colours the strip;
in pair mode, which sentence the model prefers, each scored alone, under both.

PLL (Salazar et al. 2020) scores each token masked alone; word-l2r (Kauf & Ivanova 2023) masks the
pieces of the same word to its right too. The strip shows each token's rank masked alone either way;
its colour is the chosen variant's surprisal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from textual.content import Content
from textual.reactive import var
from textual.widgets import Static

from bertui.engine.results import Surprisal
from bertui.headless.documents import PLL_VARIANTS, compare_pair

VARIANT_NAMES = {"pll": "PLL", "pll_word_l2r": "PLL word-l2r"}


def coloured_by(surprisal: Surprisal, word_l2r: bool) -> Surprisal:
    """``surprisal`` with each token's probability and bits those of the variant that colours the strip."""
    if not word_l2r:
        return surprisal
    return replace(surprisal, tokens=tuple(
        replace(token, probability=math.exp(token.log_prob_word_l2r),
                surprisal=-token.log_prob_word_l2r / math.log(2)) for token in surprisal.tokens))


def scores(surprisal: Surprisal) -> dict[str, float]:
    return {"pll": surprisal.pseudo_log_likelihood, "pll_word_l2r": surprisal.pll_word_l2r}


def preference(text_a: str, text_b: str, alone: tuple[Surprisal, Surprisal]) -> dict[str, Any]:
    """``bertui score --compare-pairs``'s verdict on A and B, each scored alone."""
    return compare_pair({"text": text_a, **scores(alone[0])}, {"text": text_b, **scores(alone[1])})


def nats(value: float) -> str:
    return f"{value:.2f}".replace("-", "−")


@dataclass(frozen=True)
class ScoresAnswer:
    """The scores to show, ``word_l2r`` the variant that colours the strip; ``pair``: (A, B) in pair
    mode; ``alone``: each scored alone (None: not in, or one is empty)."""

    surprisal: Surprisal | None
    word_l2r: bool = False
    pair: tuple[str, str] | None = None
    alone: tuple[Surprisal, Surprisal] | None = None


class SentenceScores(Static):
    DEFAULT_CSS = """
    SentenceScores { display: none; height: auto; padding: 0 1; border: round $primary-darken-2;
                     border-title-color: $text-primary; background: $surface; }
    SentenceScores.-on { display: block; }
    """

    answer: var[ScoresAnswer | None] = var(None, init=False, always_update=True)
    """The scores shown (None: asking the model)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Sentence scores"

    def watch_answer(self, answer: ScoresAnswer | None) -> None:
        if answer is None:
            self.update(Content.styled("Asking the model…", "$text-muted"))
            return
        surprisal, word_l2r, pair, alone = answer.surprisal, answer.word_l2r, answer.pair, answer.alone
        chosen = "pll_word_l2r" if word_l2r else "pll"
        self.border_subtitle = f"f6: colour by {VARIANT_NAMES['pll' if word_l2r else 'pll_word_l2r']}"
        lines: list[Content] = []
        if surprisal is not None:
            total = scores(surprisal)
            for variant in PLL_VARIANTS:
                mark = ("  ◀ colours the strip", "$text-accent") if variant == chosen else ""
                lines.append(Content.assemble(f"{VARIANT_NAMES[variant]:<13}", (nats(total[variant]), "bold"),
                                              mark))
        if pair is not None:
            lines.append(Content.styled("Which sentence does the model prefer? (each scored alone)",
                                        "$text-accent bold"))
            if alone is None:
                lines.append(Content.styled("  Both sentences need a word to score.", "$text-muted"))
            else:
                verdict, a, b = preference(*pair, alone), scores(alone[0]), scores(alone[1])
                for variant in PLL_VARIANTS:
                    prefers = verdict[variant]["prefers"]
                    said = "a tie" if prefers == "tie" else \
                        f"prefers {prefers.upper()} by {verdict[variant]['margin']:.2f} nats"
                    lines.append(Content.assemble(
                        f"  {VARIANT_NAMES[variant]:<13}", f"A {nats(a[variant])}  B {nats(b[variant])}  ",
                        (said, "$text-success bold" if prefers != "tie" else "$text-muted")))
        self.update(Content("\n").join(lines))
