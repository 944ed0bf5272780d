"""A lean HTTP/1.1 keep-alive client for load generation.

httpx spends milliseconds of CPU per request in its own machinery (more with
many connections in one pool); on a two-core machine the load generator
would then measure itself. This client sends prebuilt request bytes on one
connection per virtual client and reads the answer by its Content-Length (or
chunks), nothing more: enough for our own servers, which speak plain HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WireError(Exception):
    pass


def post_request(host: str, path: str, payload: Any, headers: dict[str, str]) -> bytes:
    """The bytes of one JSON POST (built once, sent many times)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection; requests on it go one after another."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.authority = parts.netloc
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass

    def request_bytes(
        self, path: str, payload: Any, headers: dict[str, str] | None = None
    ) -> bytes:
        return post_request(self.authority, path, payload, headers or {})

    async def send(self, raw: bytes) -> Reply:
        """Send prebuilt request bytes; the reply (status and body)."""
        reader, writer = self._reader, self._writer
        if reader is None or writer is None:
            raise WireError("the connection is not open")
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunks(reader)
        else:
            raise WireError("a reply without length on a keep-alive connection")
        if headers.get("connection", "").lower() == "close":
            raise WireError("the server closed the connection")
        return Reply(status, body)

    async def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return await self.send(self.request_bytes(path, payload, headers))


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
