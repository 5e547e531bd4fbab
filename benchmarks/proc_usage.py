"""Memory and CPU of a process tree (a server and its workers), sampled from /proc.

The peak is of the tree's summed resident memory at one moment (not the sum of each process's
own peak), and CPU time is user + system seconds of every process in the tree: on a machine
shared with other work, CPU seconds per image stay comparable where images/s do not.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of one process, MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


class TreeSampler:
    """Samples a process tree's summed RSS every `interval` s; `cpu()` reads its CPU time."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_mib = 0.0
        self.peak_by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            sizes = {p: rss_mib(p) for p in tree(self.pid)}
            self.peak_mib = max(self.peak_mib, sum(sizes.values()))
            for p, mib in sizes.items():
                self.peak_by_pid[p] = max(self.peak_by_pid.get(p, 0.0), mib)

    def cpu(self) -> dict[int, float]:
        """CPU seconds so far of each process in the tree."""
        return {p: cpu_seconds(p) for p in tree(self.pid)}
