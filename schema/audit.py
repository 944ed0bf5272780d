"""The administrators' part of the graph: the audit log and the principals."""

from __future__ import annotations

import datetime as dt
from typing import cast

import strawberry
from strawberry.scalars import JSON

from hub import audit as service
from hub import policy
from hub.audit_keys import Checkpoint, checkpoint_text, load_signer
from hub.audit_sequencer import sequencer_for
from hub.audit_verify import inclusion_proof
from hub.auth import list_principals
from hub.errors import BadUserInput
from hub.models import AuditEntry as AuditRow
from hub.models import Principal as PrincipalRow
from hub.validation import mask_id_number
from schema.cases import PageInfo
from schema.context import Info
from schema.display import local


@strawberry.type
class AuditEntry:
    row: strawberry.Private[AuditRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def at(self) -> dt.datetime:
        at = local(self.row.at)
        assert at is not None
        return at

    @strawberry.field
    def principal_id(self) -> strawberry.ID | None:
        pid = self.row.principal_id
        return None if pid is None else strawberry.ID(str(pid))

    @strawberry.field
    def actor(self) -> str:
        return self.row.actor

    @strawberry.field(description="e.g. case.filed, dossier.read, auth.sign_in")
    def action(self) -> str:
        return self.row.action

    @strawberry.field(description="The case number the entry was for, if any.")
    def purpose(self) -> str | None:
        return self.row.purpose

    @strawberry.field(
        description="The data subject's ID number, masked: administrators read no personal data."
    )
    def subject(self) -> str | None:
        return None if self.row.subject is None else mask_id_number(self.row.subject)

    @strawberry.field
    def target(self) -> str | None:
        return self.row.target

    @strawberry.field
    def detail(self) -> JSON:
        return cast(JSON, self.row.detail)

    @strawberry.field
    def hash(self) -> str:
        return self.row.hash

    @strawberry.field(
        description="The hash of the entry before it in the log; empty until sequenced."
    )
    def prev_hash(self) -> str:
        return self.row.prev_hash or ""

    @strawberry.field(
        description="The entry's position in the Merkle log (1-based); null until sequenced."
    )
    def seq(self) -> int | None:
        return self.row.seq


@strawberry.type(description="A signed statement of the audit log's size and Merkle root.")
class AuditCheckpoint:
    tree_size: int
    root_hash: str = strawberry.field(description="Hex SHA-256 (RFC 6962 Merkle tree hash).")
    timestamp: str = strawberry.field(description="When it was signed, UTC.")
    key_id: str
    public_key: str = strawberry.field(description="Base64 raw Ed25519 public key.")
    signature: str = strawberry.field(description="Base64 Ed25519 signature of `note`.")
    note: str = strawberry.field(description="The signed text.")

    @classmethod
    def from_checkpoint(cls, c: Checkpoint) -> AuditCheckpoint:
        return cls(
            tree_size=c.tree_size,
            root_hash=c.root_hash,
            timestamp=c.timestamp,
            key_id=c.key_id,
            public_key=c.public_key,
            signature=c.signature,
            note=checkpoint_text(c.tree_size, c.root, c.timestamp),
        )


@strawberry.type(description="An RFC 6962 inclusion proof of one entry in a signed checkpoint.")
class AuditProof:
    entry_id: strawberry.ID
    leaf_index: int = strawberry.field(description="0-based position in the tree.")
    # not the leaf's bytes: they hold the subject's full ID number, which
    # administrators do not read (`hub audit prove` prints them for operators)
    leaf_hash: str = strawberry.field(description="SHA-256(0x00 || the entry's bytes), hex.")
    path: list[str] = strawberry.field(description="Sibling hashes, hex, leaf level first.")
    checkpoint: AuditCheckpoint


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[AuditEntry]:
        return [e.node for e in self.edges]


@strawberry.input
class AuditFilter:
    case_number: str | None = None
    subject: str | None = strawberry.field(default=None, description="A full ID number.")
    principal_id: strawberry.ID | None = None
    action: str | None = strawberry.field(
        default=None, description='Exact, or a prefix ending in "." such as "auth."'
    )
    from_: dt.datetime | None = strawberry.field(
        default=None, name="from", description="Inclusive; without an offset, Beijing time."
    )
    to: dt.datetime | None = strawberry.field(
        default=None, description="Exclusive; without an offset, Beijing time."
    )


@strawberry.type
class PrincipalAccount:
    """A principal as administrators see it (never its token or hash)."""

    row: strawberry.Private[PrincipalRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def role(self) -> str:
        return self.row.role

    @strawberry.field
    def scope(self) -> str:
        return self.row.scope

    @strawberry.field
    def created_at(self) -> dt.datetime:
        at = local(self.row.created_at)
        assert at is not None
        return at

    @strawberry.field
    def expires_at(self) -> dt.datetime | None:
        return local(self.row.expires_at)

    @strawberry.field
    def revoked_at(self) -> dt.datetime | None:
        return local(self.row.revoked_at)

    @strawberry.field
    def last_used_at(self) -> dt.datetime | None:
        return local(self.row.last_used_at)


def _principal_id(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9:
        raise BadUserInput("principalId", "not a principal id")
    return int(text)


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit log, newest first (administrators only).")
    async def audit_log(
        self,
        info: Info,
        filter: AuditFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> AuditEntryConnection:
        f = filter or AuditFilter()
        ctx = info.context
        await sequencer_for(ctx.hub).sequence()  # show entries with their positions
        page = await service.search(
            ctx.hub.db,
            ctx.principal,
            service.AuditFilter(
                case_number=f.case_number,
                subject=f.subject,
                principal_id=_principal_id(f.principal_id),
                action=f.action,
                since=f.from_,
                until=f.to,
            ),
            first,
            after,
        )
        edges = [
            AuditEntryEdge(cursor=c, node=AuditEntry(row=r))
            for r, c in zip(page.rows, page.cursors, strict=True)
        ]
        return AuditEntryConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
        )

    @strawberry.field(
        description="An inclusion proof of one audit entry in the latest signed checkpoint "
        "(administrators only); null when there is no such entry."
    )
    async def audit_proof(self, info: Info, id: strawberry.ID) -> AuditProof | None:
        ctx = info.context
        policy.require_admin(ctx.principal)
        text = str(id).strip()
        if not text.isdigit() or len(text) > 12:
            raise BadUserInput("id", "not an audit entry id")
        await sequencer_for(ctx.hub).sequence()
        proof = await inclusion_proof(ctx.hub.db, load_signer(ctx.hub.settings), int(text))
        if proof is None:
            return None
        return AuditProof(
            entry_id=strawberry.ID(str(proof.entry_id)),
            leaf_index=proof.leaf_index,
            leaf_hash=proof.leaf_hash,
            path=proof.path,
            checkpoint=AuditCheckpoint.from_checkpoint(proof.checkpoint),
        )

    @strawberry.field(description="Every principal, newest first (administrators only).")
    async def principals(self, info: Info) -> list[PrincipalAccount]:
        rows = await list_principals(info.context.hub.db, info.context.principal)
        return [PrincipalAccount(row=r) for r in rows]
