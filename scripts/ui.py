"""`make ui`: the Airflow UI with the Marketing dashboard on the demo's data, until Ctrl-C.

Starts what `make demo` ran on (the simulator, the api-server, scheduler and dag-processor
with the same home, lake and warehouse), so a run triggered from the UI works too. The
DAGs stay paused as the demo left them, and only what is triggered runs (the scheduler
creates no scheduled runs here): trigger a DAG from the UI to run it.
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import timedelta

from demo import arguments, demo_stack, open_the_ui


def main() -> int:
    args = arguments(__doc__)
    if not (args.data_dir / "warehouse.db").exists():
        print(f"no warehouse in {args.data_dir}: run `make demo` first", file=sys.stderr)
        return 1
    dates = [args.first_date + timedelta(days=i) for i in range(args.days)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by a process manager: stop the services too
    with demo_stack(args, dates) as (_api, processes):
        print(f"Airflow is up on http://127.0.0.1:{args.port}/ (logs in {args.airflow_home / 'logs'}); Ctrl-C stops it")
        print(open_the_ui(args).replace("make ui      then open", "open"), flush=True)
        try:
            while True:  # a service that exits is started again, until it has used up its restarts
                processes.supervise()
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
