"""Graph API error answers in Meta's body shape."""

from __future__ import annotations

import random


class MetaError(Exception):
    """An error answer in Meta's body shape."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        subcode: int | None = None,
        error_type: str = "OAuthException",
        headers: dict | None = None,
        transient: bool = False,
    ):
        super().__init__(message)
        self.status, self.code, self.subcode = status, code, subcode
        self.error_type, self.headers, self.transient = error_type, headers or {}, transient

    def body(self) -> dict:
        error = {
            "message": str(self),
            "type": self.error_type,
            "code": self.code,
            "fbtrace_id": f"Sim{random.getrandbits(40):x}",
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient:
            error["is_transient"] = True
        return {"error": error}
