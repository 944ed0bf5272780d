"""case money (案款): ledger, receipts, disbursements; dated status transitions

Revision ID: 0005
Revises: 0004
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC_TIME = sa.DateTime(timezone=True)
_SHANGHAI = timedelta(hours=8)


def upgrade() -> None:
    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("claimed_cents", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", _UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_transitions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transitions")),
    )
    with op.batch_alter_table("case_transitions") as batch:
        batch.create_index(batch.f("ix_case_transitions_case_id"), ["case_id"])
        batch.create_index(
            "ix_case_transitions_court_to_on", ["court_code", "to_status", "effective_on"]
        )

    op.create_table(
        "fund_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("remind_on", sa.Date(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("reminded_at", _UTC_TIME, nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", _UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_fund_receipts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_receipts")),
        sa.UniqueConstraint("court_code", "idempotency_key", name="fund_receipt_key_once"),
        sa.UniqueConstraint("request_id", name=op.f("uq_fund_receipts_request_id")),
    )
    with op.batch_alter_table("fund_receipts") as batch:
        batch.create_index(batch.f("ix_fund_receipts_case_id"), ["case_id"])
        batch.create_index("ix_fund_receipts_court_received", ["court_code", "received_on"])
        batch.create_index("ix_fund_receipts_open", ["court_code", "settled_on", "due_on"])

    op.create_table(
        "fund_disbursements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("payee_name", sa.String(length=200), nullable=False),
        sa.Column("payee_account", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", _UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_fund_disbursements_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_disbursements")),
        sa.UniqueConstraint("court_code", "idempotency_key", name="fund_disbursement_key_once"),
    )
    with op.batch_alter_table("fund_disbursements") as batch:
        batch.create_index(batch.f("ix_fund_disbursements_case_id"), ["case_id"])
        batch.create_index("ix_fund_disbursements_court_paid", ["court_code", "paid_on"])

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn", sa.String(length=40), nullable=False),
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=True),
        sa.Column("posted_at", _UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries") as batch:
        batch.create_index(batch.f("ix_ledger_entries_txn"), ["txn"])
        batch.create_index(batch.f("ix_ledger_entries_court_code"), ["court_code"])
        batch.create_index(batch.f("ix_ledger_entries_account"), ["account"])

    with op.batch_alter_table("cases") as batch:
        batch.create_index("ix_cases_court_filed", ["court_code", "filed_on"])

    _backfill_transitions()


def _backfill_transitions() -> None:
    """Status changes recorded before this revision become transitions dated the day
    (in China) they were recorded: the best the old events know."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.case_id, c.court_code, e.at, e.note, c.deadline, c.amount_claimed"
            " FROM case_events e"
            " JOIN cases c ON c.id = e.case_id WHERE e.kind = 'STATUS_CHANGED' ORDER BY e.id"
        )
    ).all()
    change = re.compile(r"([A-Z]+) → ([A-Z]+)")
    for case_id, court, at, note, deadline, claimed in rows:
        found = change.match(note or "")
        if found is None:
            continue
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        bind.execute(
            sa.text(
                "INSERT INTO case_transitions"
                " (case_id, court_code, from_status, to_status, effective_on, deadline,"
                " claimed_cents, recorded_at)"
                " VALUES (:case_id, :court, :src, :dst, :on, :deadline, :claimed, :at)"
            ),
            {
                "case_id": case_id,
                "court": court,
                "src": found[1],
                "dst": found[2],
                "on": (at + _SHANGHAI).date(),
                "deadline": deadline,
                "claimed": int(Decimal(str(claimed)) * 100),
                "at": at.replace(tzinfo=None) if bind.dialect.name == "sqlite" else at,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_court_filed")
    op.drop_table("ledger_entries")
    op.drop_table("fund_disbursements")
    op.drop_table("fund_receipts")
    op.drop_table("case_transitions")
