"""Type aliases shared by the library's annotations (types only: nothing here runs)."""

from __future__ import annotations

from typing import Any, TypeAlias

# A decoded JSON object: an API answer, a connection's `extra`, a row of a report payload.
JsonObject: TypeAlias = dict[str, Any]
