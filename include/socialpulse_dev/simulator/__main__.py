"""`python -m socialpulse_dev.simulator --port N [fault knobs]`: serve until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import date
from pathlib import Path

from socialpulse_dev.simulator.audience import DEFAULT_SIZE
from socialpulse_dev.simulator.server import DEFAULT_TOKEN, SimulatorConfig, serve


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m socialpulse_dev.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 inside a container")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--people", type=int, default=DEFAULT_SIZE, help="people in the simulated audience")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the access token the simulator accepts")
    parser.add_argument("--as-of", type=date.fromisoformat, help="the simulator's today (default: UTC today)")
    parser.add_argument("--throttle-every", type=int, default=0, help="every Nth call is throttled")
    parser.add_argument("--regain-minutes", type=int, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of calls answered HTTP 500")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--truncate-every", type=int, default=0, help="every Nth answer is cut short")
    parser.add_argument("--invalid-token", action="store_true", help="refuse every token as expired")
    parser.add_argument("--max-rows-per-page", type=int, default=1000)
    parser.add_argument("--x-rate-limit", type=int, default=900, help="X calls per endpoint per 15-minute window")
    parser.add_argument(
        "--meta-app-budget", type=int, default=600, help="Meta calls per minute that X-App-Usage reports as 100%%"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = SimulatorConfig(
        seed=args.seed,
        people=args.people,
        token=args.token,
        throttle_every=args.throttle_every,
        regain_minutes=args.regain_minutes,
        error_rate=args.error_rate,
        latency_ms=args.latency_ms,
        truncate_every=args.truncate_every,
        invalid_token=args.invalid_token,
        max_rows_per_page=args.max_rows_per_page,
        x_rate_limit=args.x_rate_limit,
        app_budget=args.meta_app_budget,
    )
    if args.as_of:
        config.as_of = args.as_of
    server = serve(config, args.port, args.host)
    port = server.server_address[1]
    if args.port_file:
        args.port_file.write_text(str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"SocialPulse simulator on http://{args.host}:{port} (as of {config.as_of})", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
