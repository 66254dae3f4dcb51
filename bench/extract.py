"""Pages per second through each connector against the simulator with 50 ms latency per request.

Each connector calls one request at a time (concurrency 1), so latency bounds it at
1 / latency requests per second. The bench prints requests and API pages per second
for each connector next to that bound, as a ratio: how much of the bound the
client's own work (JSON, retries, bookkeeping) leaves.

Usage: python bench/extract.py [--latency-ms 50] [--days 14]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from socialpulse.connectors.meta import GraphClient, insights_pages
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.connectors.x import XClient
from socialpulse.jobs.organic import facebook_page_pages, instagram_pages, x_pages
from socialpulse_dev.simulator import SimulatorConfig, serve
from socialpulse_dev.simulator.graph_organic import IG_USER_IDS, PAGE_IDS
from socialpulse_dev.simulator.server import DEFAULT_TOKEN, DEFAULT_X_TOKEN
from socialpulse_dev.simulator.x_data import X_ACCOUNTS

AS_OF = date(2026, 11, 5)


def measure(name: str, client, pages: Callable[[], Iterator[dict]], latency: float) -> None:
    started = time.perf_counter()
    count = sum(1 for _ in pages())
    seconds = time.perf_counter() - started
    calls_per_s = client.calls / seconds
    bound = 1 / latency
    print(
        f"{name:<26} {count:>6} {client.calls:>6} {seconds:>8.2f} {count / seconds:>9.1f} {calls_per_s:>9.1f} "
        f"{bound:>7.1f} {calls_per_s / bound:>7.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    server = serve(SimulatorConfig(as_of=AS_OF, latency_ms=args.latency_ms))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    latency = args.latency_ms / 1000
    end = datetime.combine(AS_OF, datetime.min.time(), UTC)
    start = end - timedelta(days=args.days)
    print(f"simulator at {url}, {args.latency_ms} ms per request, window {start.date()}..{end.date()}, concurrency 1")
    print(
        f"{'connector':<26} {'pages':>6} {'calls':>6} {'seconds':>8} {'pages/s':>9} {'calls/s':>9} "
        f"{'bound/s':>7} {'ratio':>7}"
    )

    def graph() -> GraphClient:
        return GraphClient(url, DEFAULT_TOKEN, DEFAULT_API_VERSION)

    meta = graph()
    measure(
        "meta ads insights (sync)",
        meta,
        lambda: insights_pages(meta, "1001", start.date(), end.date(), mode="sync", limit=10),
        latency,
    )
    facebook = graph()
    measure("facebook page posts", facebook, lambda: facebook_page_pages(facebook, PAGE_IDS[0], start, end), latency)
    instagram = graph()
    measure("instagram media", instagram, lambda: instagram_pages(instagram, IG_USER_IDS[0], start, end), latency)
    x = XClient(url, DEFAULT_X_TOKEN)
    measure("x posts and engagers", x, lambda: x_pages(x, X_ACCOUNTS[0].user_id, start, end), latency)
    server.shutdown()


if __name__ == "__main__":
    main()
