"""Meta Marketing API connector: the public surface."""

from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.errors import (
    MetaApiError,
    MetaAuthError,
    MetaReduceDataError,
    MetaRetriesExhaustedError,
    MetaThrottledError,
    MetaTransientError,
    classify,
)
from socialpulse.connectors.meta.insights import REPORT_MODES, insights_pages, normalize_account_id

__all__ = [
    "REPORT_MODES",
    "GraphClient",
    "MetaApiError",
    "MetaAuthError",
    "MetaReduceDataError",
    "MetaRetriesExhaustedError",
    "MetaThrottledError",
    "MetaTransientError",
    "classify",
    "insights_pages",
    "normalize_account_id",
]
