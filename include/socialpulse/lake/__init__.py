"""The lake: raw payloads and other files (files.py), rows as Delta tables (tables.py), in zones (layout.py), on
a local disk or an object store (storage.py). `Lake`, built once per task, is the way in."""

from socialpulse.lake.layout import Lake

__all__ = ["Lake"]
