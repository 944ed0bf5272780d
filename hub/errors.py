"""The hub's one exception tree, drawn in ``adapters.sdk.errors``.

It lives in the SDK because adapters raise its upstream branch and may not
import the hub; the hub raises the rest and maps all of it to GraphQL
``extensions.code`` at one boundary (``schema.errors``).
"""

from adapters.sdk.errors import (
    BadUserInput,
    CircuitOpen,
    Conflict,
    Forbidden,
    HubError,
    NotFound,
    RateLimited,
    Unauthenticated,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = [
    "BadUserInput",
    "CircuitOpen",
    "Conflict",
    "Forbidden",
    "HubError",
    "NotFound",
    "RateLimited",
    "Unauthenticated",
    "UpstreamError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
