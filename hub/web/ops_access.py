"""Who may read the operators' endpoints: ``/metrics`` and ``/readyz``'s agency detail.

Both name every agency the hub talks to and how each is doing, which is not
for anyone who can reach the port. Allowed: a client address in
``settings.ops_allow_ips`` (loopback by default: a scraper on the same host or
through a trusted proxy, ``forwarded_allow_ips``), or a request carrying
``Authorization: Bearer <settings.ops_token>``.
"""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from starlette.requests import Request

from hub.auth import bearer_token
from hub.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(spec: str) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    )


def address_allowed(host: str | None, spec: str) -> bool:
    if host is None:
        return False
    if spec.strip() == "*":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in _networks(spec))


def ops_allowed(request: Request, settings: Settings) -> bool:
    if settings.ops_token:
        given = bearer_token(request.headers.get("authorization"))
        if given and hmac.compare_digest(given.encode(), settings.ops_token.encode()):
            return True
    client = request.client.host if request.client else None
    return address_allowed(client, settings.ops_allow_ips)
