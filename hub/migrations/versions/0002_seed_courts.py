"""seed the reference list of courts (Fujian) and the audit chain's head

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

courts = sa.table(
    "courts",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("level", sa.String),
    sa.column("division", sa.String),
    sa.column("parent", sa.String),
)


audit_head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("last_hash", sa.String),
)


def upgrade() -> None:
    from hub.courts import FUJIAN_COURTS

    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "last_hash": "0" * 64}])

    op.bulk_insert(
        courts,
        [
            {
                "code": c.code,
                "name": c.name,
                "level": c.level,
                "division": c.division,
                "parent": c.parent,
            }
            for c in FUJIAN_COURTS
        ],
    )


def downgrade() -> None:
    from hub.courts import FUJIAN_COURTS

    op.execute(audit_head.delete())

    op.execute(courts.delete().where(courts.c.code.in_([c.code for c in FUJIAN_COURTS])))
