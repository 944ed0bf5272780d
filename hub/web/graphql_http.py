"""``/graphql`` over HTTP: bearer authentication, body limit, then strawberry.

No or bad token is HTTP 401 before any GraphQL runs. The GraphiQL page itself
(a GET without a query) carries no data and is served without a token, so a
person can open it and paste their token into its headers pane.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from hub.auth import Principal, authenticate, bearer_token
from hub.persisted import PersistedQueries, PersistedQueryError
from hub.state import HubState
from hub.web.graphiql_assets import MOUNT, rewrite
from schema.context import Context
from schema.errors import format_errors


def unauthenticated() -> Response:
    return JSONResponse(
        {
            "errors": [
                {
                    "message": "a valid bearer token is required",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, hub: HubState) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.hub = hub

    async def get_context(self, request: Any, response: Any) -> Context:
        principal: Principal = request.scope["hub.principal"]
        return Context(request=request, response=response, hub=self.hub, principal=principal)

    async def render_graphql_ide(self, request: Any) -> Response:
        """The page, naming the hub's own copies of its scripts when it has them."""
        if self.hub.settings.graphiql_assets_dir is None:
            return await super().render_graphql_ide(request)
        base = request.scope.get("root_path", "").rstrip("/") + MOUNT
        return HTMLResponse(rewrite(self.graphql_ide_html, base))

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = format_errors(result.errors)  # type: ignore[typeddict-item]
        if result.extensions:
            data["extensions"] = result.extensions
        return data


class BodyTooLarge(Exception):
    pass


class GraphQLEndpoint:
    """ASGI app for ``/graphql``."""

    def __init__(self, schema: BaseSchema, hub: HubState) -> None:
        self.hub = hub
        self.view = HubGraphQL(schema, hub)
        self.persisted = PersistedQueries.from_settings(hub.settings)

    @staticmethod
    def _is_ide_request(request: Request) -> bool:
        return (
            request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if self._is_ide_request(request):
            # Drawn here, not through the view: strawberry builds the request's
            # context (which needs a principal) before it decides to draw the page.
            page = await self.view.render_graphql_ide(request)
            await page(scope, receive, send)
            return
        principal = await authenticate(
            self.hub.db, bearer_token(request.headers.get("authorization"))
        )
        if principal is None:
            await unauthenticated()(scope, receive, send)
            return
        limit = self.hub.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send)
            return
        scope["hub.principal"] = principal
        if self.persisted.active:
            try:
                await self._persisted(scope, receive, send, limit)
            except BodyTooLarge:
                await self._too_large(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.view(scope, limited_receive, send)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)

    async def _persisted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Fill the query in from its hash (``hub.persisted``), then run it as usual."""
        request = Request(scope, receive)
        try:
            if request.method == "GET":
                scope = self._persisted_get(scope, request)
                await self.view(scope, receive, send)
                return
            body = await _read_body(receive, limit)
            body = self._persisted_post(body)
        except PersistedQueryError as exc:
            await JSONResponse(exc.body())(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.view({**scope, "headers": headers}, _replay(body, receive), send)

    def _persisted_post(self, body: bytes) -> bytes:
        if self.persisted.mode != "allowlist" and b"persistedQuery" not in body:
            return body  # the common case: no JSON parsed here
        try:
            payload = json.loads(body)
        except ValueError:
            return body  # strawberry answers malformed JSON itself
        if not isinstance(payload, dict):
            return body
        resolved = self.persisted.resolve(payload)
        return body if resolved is payload else json.dumps(resolved).encode()

    def _persisted_get(self, scope: Scope, request: Request) -> Scope:
        params = dict(request.query_params)
        if self.persisted.mode != "allowlist" and "extensions" not in params:
            return scope
        payload: dict[str, Any] = dict(params)
        if "extensions" in params:
            try:
                payload["extensions"] = json.loads(params["extensions"])
            except ValueError:
                return scope
        resolved = self.persisted.resolve(payload)
        if resolved is payload:
            return scope
        params["query"] = resolved["query"]
        return {**scope, "query_string": urlencode(params).encode()}

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {
            "errors": [
                {
                    "message": "request body too large",
                    "extensions": {"code": "BAD_USER_INPUT", "field": "body"},
                }
            ]
        }
        await Response(json.dumps(body), status_code=413, media_type="application/json")(
            scope, receive, send
        )


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, then: Receive) -> Receive:
    """The (rewritten) body once, then the connection's own messages (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
