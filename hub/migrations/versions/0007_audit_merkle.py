"""audit: sequenced Merkle log and signed checkpoints

Writers no longer bump a shared ``audit_head``; a sequencer gives entries their
position (``seq``) and signs checkpoints. Entries written before this revision
are rehashed (the leaf hash no longer covers ``prev_hash``) and left for the
sequencer to take in, in id order.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("timestamp", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    op.drop_table("audit_head")
    _rehash_existing_entries()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # ids used to come from audit_head; writers now draw them from the sequence
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
            "COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)"
        )


def _rehash_existing_entries() -> None:
    # the hashing is the application's (one definition of an entry's bytes); the
    # columns are named here so later revisions of the model do not change this one
    from types import SimpleNamespace

    from hub.audit import entry_hash
    from hub.models import UTCDateTime

    log = sa.table(
        "audit_log",
        *(sa.column(c) for c in ("id", "principal_id", "actor", "action", "purpose")),
        *(sa.column(c) for c in ("subject", "target", "hash", "prev_hash", "seq")),
        sa.column("at", UTCDateTime()),
        sa.column("detail", sa.JSON()),
    )
    bind = op.get_bind()
    fields = ("id", "at", "principal_id", "actor", "action", "purpose", "subject", "target")
    rows = bind.execute(sa.select(*(log.c[f] for f in fields), log.c.detail)).all()
    for row in rows:
        entry = SimpleNamespace(**row._mapping)
        bind.execute(
            sa.update(log)
            .where(log.c.id == row.id)
            .values(hash=entry_hash(entry), prev_hash=None, seq=None)  # type: ignore[arg-type]
        )


def downgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # the old chain cannot be rebuilt without its hashing: the log stays, unverifiable,
    # and the head lets the old writers go on numbering after the last id
    op.execute(
        "INSERT INTO audit_head (id, seq, last_hash) "
        f"SELECT 1, COALESCE(MAX(id), 0), '{'0' * 64}' FROM audit_log"
    )
    op.execute("UPDATE audit_log SET prev_hash = '' WHERE prev_hash IS NULL")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("seq")
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("audit_checkpoints")
