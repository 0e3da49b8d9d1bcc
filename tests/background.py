"""Helpers for the tests and benchmarks that meet `assistant ask`'s background answer server: which pid it was
started as, and stopping it (it is not their child: it outlives the command that started it)."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

STARTED = re.compile(r"started the background answer server \(pid (\d+)\)")
SERVED = "answered by the background answer server"


def started_pid(stderr: str) -> int | None:
    """The pid `assistant ask` says it started a background answer server as."""
    found = STARTED.search(stderr)
    return int(found.group(1)) if found else None


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie not yet reaped by whoever adopted it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def stop(pid: int | None, sig: signal.Signals = signal.SIGTERM, within_s: float = 30) -> bool:
    """Send ``sig`` to the background server ``pid``; whether it is gone within ``within_s``."""
    if pid is None or not running(pid):
        return True
    os.kill(pid, sig)
    return gone(pid, within_s)


def gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
