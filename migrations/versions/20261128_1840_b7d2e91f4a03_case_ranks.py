"""The case list's priority and concern orders from indexes: each case's place in the
priorities and in the concern levels, as columns the database computes (stored on
PostgreSQL; virtual on SQLite, which can add no stored one to a table), each indexed with
the list's other sort keys and the visibility columns, and within a status.

Revision ID: b7d2e91f4a03
Revises: 674a5ae8df80
Create Date: 2026-11-28 18:40:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7d2e91f4a03"
down_revision = "674a5ae8df80"
branch_labels = None
depends_on = None

RANKS = {
    "priority_rank": "CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 "
    "WHEN 'urgent' THEN 3 ELSE 0 END",
    "concern_rank": "CASE concern_level WHEN 'low' THEN 1 WHEN 'moderate' THEN 2 "
    "WHEN 'high' THEN 3 WHEN 'imminent' THEN 4 ELSE 0 END",
}


def upgrade():
    stored = op.get_bind().dialect.name == "postgresql"
    for rank, expression in RANKS.items():
        computed = sa.Computed(expression, persisted=stored)
        op.add_column("cases", sa.Column(rank, sa.SmallInteger(), computed, nullable=False))
        op.create_index(
            f"ix_cases_{rank}", "cases", [rank, "updated_at", "id", "restricted", "owner_id"]
        )
        op.create_index(f"ix_cases_status_{rank}", "cases", ["status", rank, "updated_at", "id"])


def downgrade():
    for rank in RANKS:
        op.drop_index(f"ix_cases_status_{rank}", table_name="cases")
        op.drop_index(f"ix_cases_{rank}", table_name="cases")
        op.drop_column("cases", rank)
