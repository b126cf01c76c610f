"""Sweeps: jobs grouped into compiled programs, executed locally (default) or on Ray."""
from genlab.sweep.computed import run_computed
from genlab.sweep.jobs import Job, group_jobs
from genlab.sweep.local import run_jobs

__all__ = ["Job", "group_jobs", "run_computed", "run_jobs"]
