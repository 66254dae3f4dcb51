"""Secrets in URLs and messages: what to take out before a URL is stored or logged, or a message raised.

Apart from the HTTP client, so that the lake (which strips tokens from the paging links it stores)
does not import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Compared lower-cased: Meta's token names and the usual ones of signed or token file URLs.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "appsecret_proof",
        "client_secret",
        "bearer_token",
        "token",
        "key",
        "api_key",
        "apikey",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "code",
    }
)


def strip_secrets(url: str) -> str:
    """The URL without secret query parameters or user:password@, safe to store or log."""
    split = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS]
    netloc = split.netloc.rsplit("@", 1)[-1]
    return urlunsplit(split._replace(netloc=netloc, query=urlencode(query)))


def url_secrets(url: str) -> list[str]:
    """What strip_secrets takes out of a URL (secret parameters' values, the password), to redact from messages."""
    split = urlsplit(url)
    values = [v for k, v in parse_qsl(split.query) if k.lower() in SECRET_PARAMS and v]
    return [*values, split.password] if split.password else values


def redact(text: str, secrets: Iterable[str]) -> str:
    """Text with every secret replaced, for exception messages that quote URLs or bodies."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
