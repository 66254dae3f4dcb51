"""Bench-only Airflow listener: each task process records its own peak resident memory as it finishes.

Sampling /proc from outside missed short tasks (a check of a second or less could end between two
samples on a busy machine), so the task process writes its VmHWM, read from /proc/self/status, to
`$SOCIALPULSE_BENCH_PEAKS/<task instance id>` when it succeeds, fails or skips itself. bench/e2e.py
puts this file in the plugins folder it gives Airflow; the project's own plugins never load it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import ClassVar

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

PEAKS_FOLDER = "SOCIALPULSE_BENCH_PEAKS"


def record_peak(task_instance) -> None:
    """Write this process's peak resident memory (KiB) under the task instance's id."""
    folder = os.environ.get(PEAKS_FOLDER)
    if folder:
        kib = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)
        (Path(folder) / str(task_instance.id)).write_text(kib)


@hookimpl
def on_task_instance_success(previous_state, task_instance) -> None:
    record_peak(task_instance)


@hookimpl
def on_task_instance_failed(previous_state, task_instance, error) -> None:
    record_peak(task_instance)


@hookimpl
def on_task_instance_skipped(previous_state, task_instance) -> None:
    record_peak(task_instance)


class TaskPeakMemory(AirflowPlugin):
    name = "socialpulse_bench_task_peak_memory"
    listeners: ClassVar[list] = [sys.modules[__name__]]
