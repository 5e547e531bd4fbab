"""Who holds a job: worker ids, and recovering the jobs of workers that died (kill -9)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy import Engine

from mediaquery.index import jobs
from mediaquery.index.db import write_tx


def worker_id(index: int = 0) -> str:
    """Identifies a worker: host, process and slot, so orphaned leases can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def recover_orphans(engine: Engine) -> int:
    """Requeue running jobs whose worker process on this host is dead (after kill -9)."""
    host = socket.gethostname()
    with write_tx(engine) as conn:
        dead = [jid for jid, owner in jobs.running_owners(conn) if _owner_is_dead(owner, host)]
        if dead:
            jobs.requeue(conn, dead)
        return len(dead)


def _owner_is_dead(owner: str | None, host: str) -> bool:
    if not owner:
        return True
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != host or not parts[1].isdigit():
        return False  # another machine's worker: its lease expiry decides
    pid = int(parts[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed process whose parent died too lingers as a zombie until init reaps it (some
    container inits never do): it is dead all the same."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (not Linux): only a reaped process counts as dead
    fields = stat.rsplit(")", 1)[-1].split()  # after "pid (command name)"
    return bool(fields) and fields[0] == "Z"
