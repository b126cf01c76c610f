"""The store's SQL schema, its version, and the checks made before a store file is opened."""
from __future__ import annotations

import contextlib
import math
import os
import sqlite3
from pathlib import Path

from genlab.config import ConfigError

SCHEMA_VERSION = 2  # PRAGMA user_version; 0 with a `runs` table = version 1 (before run records v2)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, experiment TEXT NOT NULL, seed INTEGER, config TEXT NOT NULL,
  status TEXT NOT NULL, provenance TEXT, wall_s REAL, created REAL,
  diverged_step INTEGER, error TEXT);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run_id, name);
CREATE TABLE IF NOT EXISTS summaries (
  run_id TEXT NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS run_arrays (
  run_id TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS artifacts (
  experiment TEXT NOT NULL, name TEXT NOT NULL, kind TEXT, data BLOB, created REAL,
  PRIMARY KEY (experiment, name));
CREATE TABLE IF NOT EXISTS leases (
  run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL);
"""
GENLAB_TABLES = {"runs", "metrics", "summaries", "artifacts"}


def to_db(value) -> float | str:
    """A float for SQLite. NaN would become NULL, so non-finite values are stored as the text
    'nan' / 'inf' / '-inf' (REAL affinity keeps text that is not a numeric literal as text)."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def from_db(value):
    """Inverse of to_db: text 'nan' / 'inf' / '-inf' back to floats; NULL stays None."""
    return float(value) if isinstance(value, str) else value


def inspect(path: Path) -> int | None:
    """The schema version of an existing store file (1 for a pre-versioning genlab store), None
    for an empty file; ConfigError (one line) for a directory, a non-SQLite file, a SQLite file
    that is not a genlab store, or a newer schema. Opens read-only: changes nothing."""
    if path.is_dir():
        raise ConfigError(f"cannot open store {path}: it is a directory")
    if path.stat().st_size == 0:
        return None
    check_header(path)
    try:
        with no_new_side_files(path):
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                version = con.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            finally:
                con.close()
    except sqlite3.Error as e:
        raise ConfigError(f"cannot open store {path}: {e}") from None
    if not tables and version == 0:
        return None
    if not GENLAB_TABLES <= tables:
        raise ConfigError(f"cannot open store {path}: a SQLite file but not a genlab store "
                          f"(tables: {', '.join(sorted(tables)) or 'none'})")
    version = version or 1
    if version > SCHEMA_VERSION:
        raise ConfigError(f"store {path} has schema version {version}, newer than this genlab's "
                          f"({SCHEMA_VERSION}); upgrade genlab")
    return version


SIDE_FILES = ("-wal", "-shm", "-journal")


def check_header(path: Path) -> None:
    """ConfigError for a file that is not a SQLite database or is shorter than its header says
    (truncated), read with plain file I/O: SQLite itself would first create the -wal / -shm side
    files of a WAL database and only then find the damage. A main file shorter than its header
    says is legitimate only while a -wal file beside it holds pages (a sweep writing)."""
    with open(path, "rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise ConfigError(f"cannot open store {path}: not a SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size_valid = pages > 0 and header[24:28] == header[92:96]  # SQLite's own rule (file format §1.3.7)
    wal = Path(f"{path}-wal")  # an empty -wal (left by a read-only open) holds no pages
    wal_pages = wal.exists() and wal.stat().st_size > 32
    if size_valid and pages * page_size > path.stat().st_size and not wal_pages:
        raise ConfigError(f"cannot open store {path}: truncated ({path.stat().st_size} of "
                          f"{pages * page_size} bytes)")


@contextlib.contextmanager
def no_new_side_files(path: Path):
    """On a damaged-database error inside, remove the side files (-wal, -shm, -journal) that
    were not beside `path` before: a store that cannot be opened is left exactly as it was. Not
    on a lock error: then the new side files may be a live sweep's."""
    before = {s for s in SIDE_FILES if Path(f"{path}{s}").exists()}
    try:
        yield
    except sqlite3.DatabaseError as e:
        if "locked" in str(e) or "busy" in str(e):
            raise
        for side in set(SIDE_FILES) - before:
            try:
                Path(f"{path}{side}").unlink(missing_ok=True)
            except OSError:
                pass
        raise


def check_writable(path: Path) -> None:
    """ConfigError unless a store can be created or written at path (checked before any write)."""
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(f"cannot open store {path}: the file is not writable")
        return
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot create store {path}: {parent} is not a writable directory")


def refuse_old(path: Path, version: int) -> ConfigError:
    return ConfigError(f"store {path} has schema version {version} (run ids before genlab's "
                       f"run-record v2); migrate it once with: genlab migrate --store {path}")
