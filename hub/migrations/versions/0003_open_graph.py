"""open graph and enforcement rules: what an action does to property, fixed at creation

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assistance_requests") as batch:
        batch.add_column(
            sa.Column("effect", sa.String(length=16), nullable=False, server_default="NONE")
        )
    # requests made before effects were declared: the two that had one
    op.execute("UPDATE assistance_requests SET effect = 'ENCUMBER' WHERE action = 'SEAL'")
    op.execute("UPDATE assistance_requests SET effect = 'LIFT' WHERE action = 'UNSEAL'")


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("effect")
