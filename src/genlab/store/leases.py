"""Work leases: a sweep claims runs before training them, so two sweeps on one store never train
the same run twice; a lease expires TTL seconds after its owner's last heartbeat (a killed
owner's runs become free again)."""
from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid

TTL = 60.0  # seconds without a heartbeat before a lease is considered abandoned


def new_owner() -> str:
    """host:pid:nonce — on the same host a dead owner is noticed at once, elsewhere by TTL."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _is_dead_here(owner: str) -> bool:
    """True if the owner ran on this host and its process no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(store, ids: list[str], owner: str, ttl: float = TTL, statuses=("done", "diverged")) -> list[str]:
    """In one write transaction: drop expired leases, then lease every id that neither has a
    run with a status in `statuses` nor is leased by another owner. Returns the ids now leased
    to `owner`."""
    if not ids:
        return []
    now = time.time()
    db = store.db
    with db:
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM leases WHERE expires < ?", (now,))
        dead = [o for (o,) in db.execute("SELECT DISTINCT owner FROM leases") if _is_dead_here(o)]
        db.executemany("DELETE FROM leases WHERE owner=?", [(o,) for o in dead])
        taken = _held_by_others(db, ids, owner)
        finished = store.finished_ids(ids, statuses=statuses)
        mine = [i for i in ids if i not in taken and i not in finished]
        db.executemany("INSERT OR REPLACE INTO leases VALUES (?,?,?)",
                       [(i, owner, now + ttl) for i in mine])
    return mine


def _held_by_others(db, ids: list[str], owner: str) -> set[str]:
    out = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = f"SELECT run_id FROM leases WHERE owner != ? AND run_id IN ({','.join('?' * len(chunk))})"
        out.update(r[0] for r in db.execute(q, [owner, *chunk]))
    return out


def release(db, ids: list[str], owner: str) -> None:
    """Drop `owner`'s leases on ids (call inside the transaction that writes their runs)."""
    db.executemany("DELETE FROM leases WHERE run_id=? AND owner=?", [(i, owner) for i in ids])


class Heartbeat:
    """A daemon thread that extends `owner`'s leases every ttl / 3 seconds on its own
    connection; it dies with the process, so a killed sweep's leases expire."""

    def __init__(self, path, owner: str, ttl: float = TTL):
        self.path, self.owner, self.ttl = path, owner, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self):
        con = sqlite3.connect(self.path, timeout=self.ttl / 3)
        try:
            while not self._stop.wait(self.ttl / 3):
                try:
                    with con:
                        con.execute("UPDATE leases SET expires=? WHERE owner=?",
                                    (time.time() + self.ttl, self.owner))
                except sqlite3.OperationalError:
                    pass  # busy: the next beat comes well before the lease expires
        finally:
            con.close()
