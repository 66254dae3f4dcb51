"""Meta Graph and Marketing API connector: the public surface.

Names load on first use (PEP 562), so that importing the field lists in
`ads_fields` and the other field lists (the entity declarations do, at DAG parse time) does not import requests.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "GraphClient": "client",
    "MetaApiError": "errors",
    "MetaAuthError": "errors",
    "MetaReduceDataError": "errors",
    "MetaRequestError": "errors",
    "MetaRetriesExhaustedError": "errors",
    "MetaThrottledError": "errors",
    "MetaTransientError": "errors",
    "classify": "errors",
    "REPORT_MODES": "insights",
    "insights_pages": "insights",
    "normalize_account_id": "insights",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
