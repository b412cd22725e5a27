"""How many CPU threads torch may use, so that it never fights the app (or the machine's quota) for cores.

torch starts one intra-op thread per physical core it sees, and a container's CPU quota is not among
what it looks at: on a 64-core host limited to 2 CPUs it would run 64 spinning threads on 2 CPUs. And in
the app, a forward that takes every core leaves the event loop waiting for a time slice on each key.
So: the cores this process may really use (affinity, then the cgroup quota), never more than torch's own
default, less one for the app's event loop when asked, and always at least one.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
# What torch chose before bertui changed anything: the ceiling for every later choice in this process.
_TORCH_DEFAULT = torch.get_num_threads()
_interop_set = False


def usable_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPUs this process may run on: its affinity mask, bounded by a cgroup v2 CPU quota if one is set."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 (macOS, Windows, cgroup v1): the affinity mask is all we know
    return cores


def intra_op_threads(cores: int, torch_default: int, *, leave_core_for_ui: bool) -> int:
    threads = min(cores, torch_default)
    if leave_core_for_ui and threads > 1:
        threads -= 1
    return max(1, threads)


def configure_threads(*, leave_core_for_ui: bool) -> int:
    """Set torch's thread counts for this process and return the intra-op count.

    A person who set OMP_NUM_THREADS or MKL_NUM_THREADS has chosen: their choice is left alone. The
    inter-op pool (unused by bertui: nothing forks graphs) is cut to one thread once; torch refuses a
    second call, or any call after inter-op work has started, so a refusal just leaves it as it is.
    """
    global _interop_set
    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"):
        return torch.get_num_threads()
    threads = intra_op_threads(usable_cores(), _TORCH_DEFAULT, leave_core_for_ui=leave_core_for_ui)
    torch.set_num_threads(threads)
    if not _interop_set:
        _interop_set = True
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already set, or inter-op work already ran in this process
    return threads
