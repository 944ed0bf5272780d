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
    # enforcement rules (issue 12)
    with op.batch_alter_table("assistance_requests") as batch:
        batch.add_column(sa.Column("term_years", sa.Integer(), nullable=True))
    op.create_table(
        "ownership_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey(
                "cases.id",
                name="fk_ownership_confirmations_case_id_cases",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "party_id",
            sa.Integer(),
            sa.ForeignKey("parties.id", name="fk_ownership_confirmations_party_id_parties"),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ownership_confirmations"),
    )
    op.create_index(
        "ix_ownership_confirmations_case_id", "ownership_confirmations", ["case_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_ownership_confirmations_case_id", table_name="ownership_confirmations")
    op.drop_table("ownership_confirmations")
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("term_years")
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("effect")
