"""torch's thread count: within the process's real CPU share, one core left to the app when it asks."""

from __future__ import annotations

import os

import pytest
import torch

from bertui.engine import threads


@pytest.mark.parametrize(("cores", "torch_default", "leave", "expected"), [
    (2, 2, True, 1),     # a 2-core laptop running the app: one core for torch, one for the event loop
    (2, 2, False, 2),    # the headless CLI has no event loop to keep
    (16, 16, True, 15),  # a 16-core GPU box
    (1, 1, True, 1),     # never zero
    (2, 64, False, 2),   # a container's 2-CPU quota on a 64-core host: torch alone would start 64
    (64, 8, False, 8),   # never above what torch chose for the physical cores
])
def test_thread_count(cores, torch_default, leave, expected):
    assert threads.intra_op_threads(cores, torch_default, leave_core_for_ui=leave) == expected


@pytest.mark.parametrize(("cpu_max", "limit"), [("200000 100000\n", 2), ("150000 100000\n", 2),
                                                  ("100000 100000\n", 1), ("max 100000\n", None)])
def test_usable_cores_follow_the_cgroup_quota(tmp_path, cpu_max, limit):
    affinity = len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text(cpu_max)
    expected = affinity if limit is None else min(affinity, limit)
    assert threads.usable_cores(tmp_path / "cpu.max") == expected


def test_usable_cores_without_a_cgroup_file_are_the_affinity_mask(tmp_path):
    assert threads.usable_cores(tmp_path / "absent") == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("chosen", "unset"), [("OMP_NUM_THREADS", "MKL_NUM_THREADS"),
                                               ("MKL_NUM_THREADS", "OMP_NUM_THREADS")])
def test_a_thread_count_the_person_chose_is_left_alone(monkeypatch, chosen, unset):
    def forbidden(_count):
        raise AssertionError("torch.set_num_threads was called")

    monkeypatch.setenv(chosen, "3")
    monkeypatch.delenv(unset, raising=False)
    monkeypatch.setattr(torch, "set_num_threads", forbidden)
    assert threads.configure_threads(leave_core_for_ui=True) == torch.get_num_threads()


def test_configure_sets_torch_and_cuts_the_interop_pool_once(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # set, they would leave torch alone (above)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    interop: list[int] = []

    def refusing(count):  # as torch does once inter-op work has started
        interop.append(count)
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started")

    monkeypatch.setattr(torch, "set_num_interop_threads", refusing)
    monkeypatch.setattr(threads, "_interop_set", False)
    monkeypatch.setattr(threads, "_TORCH_DEFAULT", 8)  # whatever this machine and its environment say
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    before = torch.get_num_threads()
    try:
        for leave, expected in ((True, 3), (False, 4), (True, 3)):
            assert threads.configure_threads(leave_core_for_ui=leave) == expected == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert interop == [1]  # asked once, and torch's refusal did not escape


def test_usable_cores_are_the_affinity_mask_not_the_machine(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert threads.usable_cores(tmp_path / "absent") == 1


@pytest.mark.parametrize(("cpu_count", "expected"), [(8, 8), (None, 1)])
def test_without_an_affinity_mask_the_cpu_count_and_at_least_one(tmp_path, monkeypatch, cpu_count, expected):
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: cpu_count)
    assert threads.usable_cores(tmp_path / "absent") == expected
