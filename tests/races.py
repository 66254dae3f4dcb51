"""Two publishers racing on one day while a reader keeps looking at it: the harness of the lake's race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

WRITERS = ("backfill", "scheduled")  # a data engineer's backfill and the scheduler's run of the same day


def race(publish: Callable[[str], None], look: Callable[[], None]) -> list[BaseException]:
    """Run `publish(writer)` for each of WRITERS in a thread of its own while a third calls `look()` over and over,
    until both publishers are done; what any of them raised (a reader's error fails the test too)."""
    errors: list[BaseException] = []
    stop = threading.Event()

    def guarded(call: Callable[[], None]) -> None:
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set() and not errors:
            guarded(look)

    publishers = [threading.Thread(target=guarded, args=(lambda w=w: publish(w),)) for w in WRITERS]
    polling = threading.Thread(target=reader)
    polling.start()
    for thread in publishers:
        thread.start()
    for thread in publishers:
        thread.join()
    stop.set()
    polling.join()
    return errors
