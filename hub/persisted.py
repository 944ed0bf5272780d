"""Persisted queries: a query sent by its sha256 instead of its text.

Two modes (``settings.persisted_queries``):

``apq`` (default), Apollo's automatic persisted queries: a client sends
``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}``
without ``query``; a hash the hub has not seen is answered with the error
``PersistedQueryNotFound`` (``extensions.code`` ``PERSISTED_QUERY_NOT_FOUND``),
and the client sends the text with the hash once, which registers it (the
hash must be that of the text: ``BAD_USER_INPUT`` otherwise). Each process
keeps its own bounded memory of hashes: a miss costs one round trip.

``allowlist``, for production front ends: only the queries of
``settings.persisted_queries_file`` (a JSON object ``{"<sha256>": "<query>"}``,
as front-end build tools emit) run, sent by hash or as text; anything else
is ``FORBIDDEN``. ``off``: ``extensions.persistedQuery`` is ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from hub.settings import Settings

REMEMBERED = 2000  # registered hashes kept per process (APQ)
MODES = ("apq", "allowlist", "off")


class PersistedQueryError(Exception):
    def __init__(self, message: str, extensions: dict[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions

    def body(self) -> dict[str, Any]:
        return {"data": None, "errors": [{"message": self.message, "extensions": self.extensions}]}


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, mode: str, allowed: dict[str, str] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"persisted_queries is one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.allowed = allowed or {}
        self._known: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries:
        allowed: dict[str, str] = {}
        if settings.persisted_queries == "allowlist":
            if settings.persisted_queries_file is None:
                raise ValueError("persisted_queries = allowlist needs persisted_queries_file")
            raw = json.loads(Path(settings.persisted_queries_file).read_text(encoding="utf-8"))
            allowed = {str(k): str(v) for k, v in raw.items()}
            wrong = [k for k, v in allowed.items() if sha256(v) != k]
            if wrong:
                raise ValueError(f"persisted query {wrong[0]} is not the sha256 of its text")
        return cls(settings.persisted_queries, allowed)

    @property
    def active(self) -> bool:
        return self.mode != "off"

    def resolve(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload`` with its query filled in from its hash, or ``PersistedQueryError``."""
        extensions = payload.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = payload.get("query")
        if persisted is None:
            if (
                self.mode == "allowlist"
                and isinstance(query, str)
                and sha256(query) not in (self.allowed)
            ):
                raise _not_allowed()
            return payload
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str) or persisted.get("version") != 1:
            raise PersistedQueryError(
                "extensions.persistedQuery needs version 1 and a sha256Hash",
                {"code": "BAD_USER_INPUT", "field": "extensions.persistedQuery"},
            )
        if isinstance(query, str):
            if sha256(query) != digest:
                raise PersistedQueryError(
                    "provided sha does not match query",
                    {"code": "BAD_USER_INPUT", "field": "extensions.persistedQuery"},
                )
            if self.mode == "allowlist":
                if digest not in self.allowed:
                    raise _not_allowed()
            else:
                self._remember(digest, query)
            return payload
        known = self.allowed.get(digest) if self.mode == "allowlist" else self._recall(digest)
        if known is None:
            if self.mode == "allowlist":
                raise _not_allowed()
            raise PersistedQueryError(
                "PersistedQueryNotFound", {"code": "PERSISTED_QUERY_NOT_FOUND"}
            )
        return {**payload, "query": known}

    def _remember(self, digest: str, query: str) -> None:
        self._known[digest] = query
        self._known.move_to_end(digest)
        if len(self._known) > REMEMBERED:
            self._known.popitem(last=False)

    def _recall(self, digest: str) -> str | None:
        query = self._known.get(digest)
        if query is not None:
            self._known.move_to_end(digest)
        return query


def _not_allowed() -> PersistedQueryError:
    return PersistedQueryError(
        "only the hub's persisted queries may run here", {"code": "FORBIDDEN"}
    )
