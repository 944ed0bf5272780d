"""Who am I: the caller's principal."""

from __future__ import annotations

import strawberry

from schema.context import Info


@strawberry.type
class Principal:
    id: strawberry.ID
    name: str
    role: str
    scope: str


@strawberry.type
class PrincipalQuery:
    @strawberry.field
    def me(self, info: Info) -> Principal:
        p = info.context.principal
        return Principal(id=strawberry.ID(str(p.id)), name=p.name, role=p.role.value, scope=p.scope)
