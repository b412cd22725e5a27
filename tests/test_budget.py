"""The token budgets fitted to the machine: calibrated once, cached per machine and model shape, a cache
that is corrupt or from another machine, shape or version ignored, never calibrated for an accelerator;
the batch budget the fastest size, the live one the smallest near it."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
import torch

from bertui.engine import budget

BERT_BASE = SimpleNamespace(hidden_size=768, intermediate_size=3072)
CPU = torch.device("cpu")
FITTED = budget.Budgets(batch=1024, live=512)
VERSION_1 = json.dumps({"version": 1, "budgets": {budget.machine_key(768, 3072, torch.float32): 256}})
"""A cache of the one-budget version: its machine's entry is calibrated again."""


@pytest.fixture
def calibrations(monkeypatch):
    """Calibration replaced by a counted stand-in whose timings make 1024 the fastest size and 512 the
    smallest near it (``FITTED``)."""
    calls = []

    def calibrate(hidden, intermediate, dtype):
        calls.append((hidden, intermediate, dtype))
        return {128: 3.0, 256: 2.0, 512: 1.0, 1024: 0.99, 2048: 1.2}

    monkeypatch.setattr(budget, "calibrate", calibrate)
    return calls


def test_the_first_use_calibrates_and_later_uses_read_the_cache(tmp_path, calibrations):
    cache = tmp_path / "token-budget.json"
    assert budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache) == FITTED
    assert budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache) == FITTED
    assert len(calibrations) == 1
    assert [1024, 512] in json.loads(cache.read_text())["budgets"].values()


def test_another_shape_dtype_or_thread_count_calibrates_again(tmp_path, calibrations, monkeypatch):
    cache = tmp_path / "token-budget.json"
    budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache)
    budget.fitted_budget(CPU, SimpleNamespace(hidden_size=1024, intermediate_size=4096), torch.float32,
                         cache_file=cache)
    budget.fitted_budget(CPU, BERT_BASE, torch.bfloat16, cache_file=cache)
    assert len(calibrations) == 3
    threads = torch.get_num_threads()
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads + 1)
    budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache)
    assert len(calibrations) == 4
    assert len(json.loads(cache.read_text())["budgets"]) == 4  # each kept: switching back is free


def test_another_cpu_calibrates_again(tmp_path, calibrations, monkeypatch):
    cache = tmp_path / "token-budget.json"
    budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache)
    monkeypatch.setattr(budget, "cpu_model", lambda: "Some Other CPU @ 3.0GHz")
    budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache)
    assert len(calibrations) == 2


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"version": 99, "budgets": {}}',
                                     '{"version": 2, "budgets": []}', "\x00\xff", VERSION_1])
def test_a_corrupt_cache_is_ignored_and_replaced(tmp_path, calibrations, content):
    cache = tmp_path / "token-budget.json"
    cache.write_text(content, encoding="utf-8", errors="surrogateescape")
    assert budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache) == FITTED
    assert budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache) == FITTED
    assert len(calibrations) == 1


def test_a_cached_budget_that_is_not_a_calibration_size_is_ignored(tmp_path, calibrations):
    cache = tmp_path / "token-budget.json"
    key = budget.machine_key(768, 3072, torch.float32)
    values = (0, -5, 10**9, "1024", None, 512, [512], [1024, 512, 256], [1024, 100], ["1024", 512])
    for value in values:
        cache.write_text(json.dumps({"version": budget.CACHE_VERSION, "budgets": {key: value}}))
        assert budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=cache) == FITTED
    assert len(calibrations) == len(values)


def test_an_unwritable_cache_still_gives_a_budget(tmp_path, calibrations):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert budget.fitted_budget(CPU, BERT_BASE, torch.float32, cache_file=blocker / "x.json") == FITTED


def test_an_accelerator_gets_its_big_budget_without_calibrating(tmp_path, calibrations):
    for kind in ("cuda", "mps"):
        found = budget.fitted_budget(torch.device(kind), BERT_BASE, torch.float32,
                                     cache_file=tmp_path / "c.json")
        assert found.batch == found.live == budget.ACCELERATOR_TOKEN_BUDGET > budget.FALLBACK_CPU_TOKEN_BUDGET
    assert not calibrations and not (tmp_path / "c.json").exists()


def test_batch_takes_the_fastest_size_and_live_the_smallest_near_it():
    assert budget.choose({128: 2.0, 256: 1.05, 512: 1.0, 1024: 0.98}) == (1024, 256)
    assert budget.choose({128: 1.0, 256: 1.5}) == (128, 128)
    assert budget.choose({}) == (budget.FALLBACK_CPU_TOKEN_BUDGET,) * 2


def test_the_real_calibration_at_bert_base_size_stays_under_two_seconds():
    started = time.perf_counter()
    per_token = budget.calibrate(768, 3072, torch.float32)
    assert time.perf_counter() - started < 2.0
    assert per_token and set(per_token) <= set(budget.SIZES) and min(per_token) == budget.SIZES[0]
    assert set(budget.choose(per_token)) <= set(budget.SIZES)
