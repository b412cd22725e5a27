"""A process that ends when its parent does, however the parent ends (SIGKILL included).

On Linux the kernel does it: ``PR_SET_PDEATHSIG`` asks for SIGKILL the moment the parent exits, and
it survives ``exec``. ``python -m bertui.model.lifeline PID COMMAND…`` sets it, checks the parent is still
PID (it may have died before the request), then becomes COMMAND: ``bertui serve`` starts each tab's
app through it. A process the app starts (a model worker) calls :func:`tie_to_parent` itself, so
the chain server → app → worker unwinds from any link. Elsewhere a daemon thread watches the parent
instead, which covers a process calling :func:`tie_to_parent` but not one exec'd through the module.

The signal follows the death of the parent *thread* that started the child, so start children from a
thread that lives as long as the process (the main thread, an event loop's thread).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_S = 0.5


def tie_to_parent(parent_pid: int) -> None:
    """End this process (SIGKILL) when ``parent_pid``, its parent now, is gone; at once if it already is."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    else:
        threading.Thread(target=_watch, args=(parent_pid,), name="bertui-lifeline", daemon=True).start()
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> None:
    parent, *command = argv
    tie_to_parent(int(parent))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
