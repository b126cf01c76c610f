"""The embedded results store (SQLite): runs, per-eval metrics, summaries, artifacts."""
from genlab.store.sqlite import DEFAULT_PATH, RunRecord, Store, open_store

__all__ = ["DEFAULT_PATH", "RunRecord", "Store", "open_store"]
