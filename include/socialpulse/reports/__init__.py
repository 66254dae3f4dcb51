"""Charts (matplotlib, Agg) and the per-run HTML reports, written to the lake's reports zone."""
