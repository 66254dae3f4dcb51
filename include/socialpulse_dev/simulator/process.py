"""The simulator in a process of its own, as `make demo` and the end-to-end bench run it."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


@contextmanager
def simulator_process(port_file: Path, *args: str, timeout: float = 30.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python -m socialpulse_dev.simulator --port 0 *args`: (its URL, the process) once it answers; stopped after.

    Its one line of output (where it listens) goes to ours.
    """
    port_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "socialpulse_dev.simulator", "--port", "0", "--port-file", str(port_file), *args]
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError("the simulator exited at start; see its output above")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the simulator did not answer within {timeout:.0f} s")
            if port_file.exists() and port_file.read_text().strip():
                url = f"http://127.0.0.1:{port_file.read_text().strip()}"
                with suppress(OSError):
                    urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
                    break
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)
