"""Auth checks for the mocks' own routes, and the callback signature they send.

A kind checks a call with ``bearer_ok``, ``basic_ok`` or ``hmac_ok`` and
answers ``agency.error_response(401, ...)`` when the check fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from starlette.requests import Request


def bearer_ok(request: Request, secret: str) -> bool:
    header = request.headers.get("authorization", "")
    return hmac.compare_digest(header.encode(), f"Bearer {secret}".encode())


def basic_ok(request: Request, user: str, secret: str) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        return False
    return hmac.compare_digest(decoded.encode(), f"{user}:{secret}".encode())


def sign_hmac(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}\\n{METHOD}\\n{path}\\n" + body``."""
    message = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def hmac_ok(request: Request, prefix: str, secret: str, *, max_age_s: int = 300) -> bool:
    """Check ``X-<prefix>-Timestamp`` / ``X-<prefix>-Signature`` (tax: "Tax", credit: "Credit").

    The signed path is the URL path; a signature over path + "?" + query is
    accepted too, since clients differ on that.
    """
    stamp = request.headers.get(f"x-{prefix.lower()}-timestamp", "")
    given = request.headers.get(f"x-{prefix.lower()}-signature", "")
    try:
        age = abs(time.time() - int(stamp))
    except ValueError:
        return False
    if age > max_age_s or not given:
        return False
    body = await request.body()
    paths = [request.url.path]
    if request.url.query:
        paths.append(f"{request.url.path}?{request.url.query}")
    return any(
        hmac.compare_digest(given.lower(), sign_hmac(secret, stamp, request.method, p, body))
        for p in paths
    )


def callback_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value for a callback body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
