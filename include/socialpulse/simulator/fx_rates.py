"""The simulator's exchange rates, written as the daily rates table the project ships.

`python -m socialpulse.simulator.fx_rates OUT.csv` regenerates
include/socialpulse/reference/fx_rates_daily.csv. The rates are simulated: each
currency wobbles within 2% around the level the CRM simulator prices orders at.
They are not market rates; production points `socialpulse_fx_rates_source` at a real table.
"""

from __future__ import annotations

import argparse
import csv
import math
from datetime import date, timedelta
from pathlib import Path

from socialpulse.simulator.crm_drop import MARKETS

FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2027, 12, 31)


def units_per_usd(currency: str, level: float, day: date) -> float:
    if currency == "USD":
        return 1.0
    phase = sum(map(ord, currency))
    return level * (1 + 0.02 * math.sin(day.toordinal() / 29.0 + phase))


def write_rates(path: Path) -> Path:
    levels = {currency: per_usd for currency, per_usd, _ in MARKETS.values()}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "currency", "units_per_usd"])
        day = FIRST_DAY
        while day <= LAST_DAY:
            if day.weekday() < 5:  # like central-bank tables, no weekend rows
                for currency in sorted(levels):
                    rate = units_per_usd(currency, levels[currency], day)
                    writer.writerow([day.isoformat(), currency, f"{rate:.6f}"])
            day += timedelta(days=1)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m socialpulse.simulator.fx_rates", description=__doc__)
    parser.add_argument("out", type=Path)
    print(write_rates(parser.parse_args().out))
