"""One package per platform; shared HTTP mechanics in `http`."""
