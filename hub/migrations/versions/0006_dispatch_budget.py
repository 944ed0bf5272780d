"""dispatcher: time budgets, probes, shared rate limits

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # attempts counts claims (a crashed worker's included); sends counts orders that
    # actually left for the agency, which is what backoff and the reason report
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("sends", sa.Integer(), nullable=False, server_default="0"))
    # one token bucket per (limit, key): shared by every hub process on PostgreSQL
    op.create_table(
        "rate_buckets",
        sa.Column("bucket", sa.String(200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),  # Unix seconds of the last take
        sa.Column("granted", sa.Integer(), nullable=False),  # of the last take's batch
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sends")
