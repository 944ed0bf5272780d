"""Signing requests in an agency's auth style.

Styles, as named in an adapter's ``default_auth`` or an agency's config:

- ``bearer``: ``Authorization: Bearer <secret>``;
- ``basic``: ``Authorization: Basic`` with the ``username`` extra (default
  ``hub``) and the secret;
- ``hmac:<Prefix>`` (or ``hmac-<prefix>``, plain ``hmac`` → ``Hub``):
  ``X-<Prefix>-Timestamp`` and ``X-<Prefix>-Signature``, the
  ``hmac_signature`` of the request;
- ``api_key_header`` (or ``api_key_header:<Header-Name>``): the secret as it is
  in one header, ``X-Api-Key`` unless named (the ``api_key_header`` extra
  names it too), as API gateways in front of agency systems often want;
- ``none``: nothing.

The secret is read per request, so rotating the environment variable just works.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Generator

import httpx

from adapters.sdk.config import AgencyConfig


def hmac_signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}\\n{METHOD}\\n{path}\\n" + body``.

    ``path`` is the URL path, percent-decoded, without the query string.
    """
    message = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class _HeaderAuth(httpx.Auth):
    """Sets headers computed per request, after the body is known (HMAC signs the body)."""

    requires_request_body = True

    def __init__(self, style: str, config: AgencyConfig) -> None:
        self.style = style
        self.config = config

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        secret = self.config.shared_secret()  # read per request: rotating the env var just works
        if self.style == "bearer":
            request.headers["Authorization"] = f"Bearer {secret}"
        elif self.style == "basic":
            user = str(self.config.extra("username", "hub"))
            token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
            request.headers["Authorization"] = f"Basic {token}"
        elif self.style.startswith("api_key_header"):
            request.headers[_api_key_header(self.style, self.config)] = secret
        elif self.style.startswith("hmac"):
            prefix = _hmac_prefix(self.style)
            stamp = str(int(time.time()))
            signature = hmac_signature(
                secret, stamp, request.method, request.url.path, request.content
            )
            request.headers[f"X-{prefix}-Timestamp"] = stamp
            request.headers[f"X-{prefix}-Signature"] = signature
        yield request


def _hmac_prefix(style: str) -> str:
    """The header prefix: "hmac:Credit" → "Credit", "hmac-tax" → "Tax", plain "hmac" → "Hub"."""
    for sep in (":", "-"):
        if sep in style:
            prefix = style.split(sep, 1)[1].strip()
            return prefix[:1].upper() + prefix[1:] if prefix else "Hub"
    return "Hub"


def _api_key_header(style: str, config: AgencyConfig) -> str:
    """The header an API key travels in: named by the style, the config, or X-Api-Key."""
    _, _, named = style.partition(":")
    return named.strip() or str(config.extra("api_key_header", "") or "X-Api-Key")


def _auth(style: str, config: AgencyConfig) -> httpx.Auth | None:
    style = style.strip()
    if style == "none":
        return None
    if style in ("bearer", "basic", "hmac", "api_key_header") or style.startswith(
        ("hmac:", "hmac-", "api_key_header:")
    ):
        return _HeaderAuth(style, config)
    raise ValueError(
        f"agency {config.id}: unknown auth style {style!r} "
        "(bearer, basic, hmac:<Prefix>, api_key_header[:<Header>], none)"
    )
