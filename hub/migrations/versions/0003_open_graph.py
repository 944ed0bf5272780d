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
    op.create_table(
        "court_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey(
                "cases.id", name="fk_court_decisions_case_id_cases", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "party_id",
            sa.Integer(),
            sa.ForeignKey("parties.id", name="fk_court_decisions_party_id_parties"),
            nullable=False,
        ),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "request_id",
            sa.String(length=36),
            sa.ForeignKey(
                "assistance_requests.id",
                name="fk_court_decisions_request_id_assistance_requests",
            ),
            nullable=True,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_court_decisions"),
    )
    op.create_index("ix_court_decisions_case_id", "court_decisions", ["case_id"])
    op.create_table(
        "credit_repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", name="fk_credit_repairs_case_id_cases", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "party_id",
            sa.Integer(),
            sa.ForeignKey("parties.id", name="fk_credit_repairs_party_id_parties"),
            nullable=False,
        ),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_credit_repairs"),
    )
    op.create_index("ix_credit_repairs_case_id", "credit_repairs", ["case_id"])
    op.create_table(
        "recheck_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey(
                "cases.id", name="fk_recheck_schedules_case_id_cases", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("known", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recheck_schedules"),
        sa.UniqueConstraint("case_id", name="uq_recheck_schedules_case_id"),
    )
    op.create_index(
        "ix_recheck_schedules_due", "recheck_schedules", ["active", "next_due_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_recheck_schedules_due", table_name="recheck_schedules")
    op.drop_table("recheck_schedules")
    op.drop_index("ix_credit_repairs_case_id", table_name="credit_repairs")
    op.drop_table("credit_repairs")
    op.drop_index("ix_court_decisions_case_id", table_name="court_decisions")
    op.drop_table("court_decisions")
    op.drop_index("ix_ownership_confirmations_case_id", table_name="ownership_confirmations")
    op.drop_table("ownership_confirmations")
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("term_years")
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("effect")
