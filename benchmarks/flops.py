"""Floating-point work counted from the model's shapes and the tokens actually run, and the machine's own
fp32 matmul rate to hold it against.

Per token per layer, a BERT-style encoder does about 2·(4h² + 2h·i) FLOPs in its matrix products (the
query, key, value and output projections, h×h each, and the feed-forward pair, h×i and i×h), plus
4·L·h for attention over a row of L tokens (scores and the weighted sum). The pooler adds 2h² a row and
the masked-LM head 2·(h² + h·V) a position where it runs. Padding is counted (the encoder runs it) and
kept apart, so a figure says both what the machine did and how much of it was wasted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

PEAK_SHAPE = (2048, 768, 3072)  # (m, k, n): one feed-forward product of bert-base over 2,048 tokens


@dataclass(frozen=True)
class Shape:
    layers: int
    hidden: int
    intermediate: int
    vocab: int

    def encoder(self, rows: int, length: int) -> float:
        """FLOPs of one encoder pass over ``rows`` rows padded to ``length`` tokens (pooler included)."""
        h, i = self.hidden, self.intermediate
        per_layer = rows * length * (2 * (4 * h * h + 2 * h * i) + 4 * length * h)
        return self.layers * per_layer + rows * 2 * h * h

    def mlm_head(self, positions: int) -> float:
        return positions * 2 * (self.hidden ** 2 + self.hidden * self.vocab)


def shape_of(engine) -> Shape:
    info = engine.info
    return Shape(info.layers, info.hidden_size, info.intermediate_size, info.vocab_size)


@dataclass
class Counted:
    """What the encoder ran while a ``Counter`` watched: tokens (padding included), padding, FLOPs."""

    passes: int = 0
    tokens: int = 0
    padding: int = 0
    flops: float = 0.0
    head_flops: float = 0.0
    useful_flops: float = 0.0
    """FLOPs of the same passes had every row been exactly as long as its real tokens."""
    seconds: float = 0.0
    encoder_seconds: float = 0.0
    """Of ``seconds``, the time inside the encoder's forwards."""
    lengths: list[int] = field(default_factory=list)

    @property
    def padding_share(self) -> float:
        return self.padding / max(1, self.tokens)

    def rate(self) -> float:
        """Achieved GFLOP/s over the whole wall time, padding included."""
        return self.flops / max(self.seconds, 1e-9) / 1e9

    def encoder_rate(self) -> float:
        """GFLOP/s inside the encoder's forwards alone (the heads' work left out of it)."""
        return (self.flops - self.head_flops) / max(self.encoder_seconds, 1e-9) / 1e9


class Counter:
    """Hooks an engine's encoder (and its MLM head, where that is a module) and counts what runs.

    ``with counter.watching() as counted: work()`` fills ``counted`` with the work and its wall time.
    """

    def __init__(self, engine) -> None:
        self.shape = shape_of(engine)
        self._counted: Counted | None = None
        self._entered = 0.0
        engine._heads.encoder.register_forward_pre_hook(self._encoder, with_kwargs=True)
        engine._heads.encoder.register_forward_hook(self._left)
        if isinstance(engine._heads.mlm, torch.nn.Module):
            engine._heads.mlm.register_forward_pre_hook(self._mlm)

    def _encoder(self, _module, args, kwargs) -> None:
        counted = self._counted
        if counted is None:
            return
        ids = kwargs.get("input_ids", args[0] if args else None)
        rows, length = ids.shape
        mask = kwargs.get("attention_mask")
        real_per_row = mask.sum(-1).tolist() if mask is not None else [length] * rows
        counted.passes += 1
        counted.tokens += rows * length
        counted.padding += rows * length - int(sum(real_per_row))
        counted.flops += self.shape.encoder(rows, length)
        counted.useful_flops += sum(self.shape.encoder(1, int(real)) for real in real_per_row)
        counted.lengths.append(length)
        self._entered = time.perf_counter()

    def _left(self, *_args) -> None:
        if self._counted is not None:
            self._counted.encoder_seconds += time.perf_counter() - self._entered

    def _mlm(self, _module, args) -> None:
        if self._counted is not None:
            positions = args[0].numel() // self.shape.hidden
            self._counted.flops += self.shape.mlm_head(positions)
            self._counted.head_flops += self.shape.mlm_head(positions)
            self._counted.useful_flops += self.shape.mlm_head(positions)

    def measure(self, work) -> Counted:
        """Run ``work()`` once, counting the encoder's work and the wall time."""
        self._counted = counted = Counted()
        started = time.perf_counter()
        try:
            work()
        finally:
            counted.seconds = time.perf_counter() - started
            self._counted = None
        return counted


def peak_gflops(repeat: int = 4, shape: tuple[int, int, int] = PEAK_SHAPE) -> float:
    """This machine's fp32 matmul rate (GFLOP/s) at torch's current thread count: the best of ``repeat``
    timed products of ``shape`` (m×k by k×n), after two untimed."""
    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    best = float("inf")
    for i in range(repeat + 2):
        started = time.perf_counter()
        torch.mm(a, b)
        if i >= 2:
            best = min(best, time.perf_counter() - started)
    return 2 * m * k * n / best / 1e9
