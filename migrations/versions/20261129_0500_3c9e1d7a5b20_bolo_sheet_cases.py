"""The cases each BOLO sheet drew on, so that their disclosure logs list it (a sheet belongs
to a subject, not to one case). Filled for the sheets made before, from the case references
their log entry kept.

Revision ID: 3c9e1d7a5b20
Revises: 158d4ee8d618
Create Date: 2026-11-29 05:00:00+00:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "3c9e1d7a5b20"
down_revision = "158d4ee8d618"
branch_labels = None
depends_on = None


def upgrade():
    links = op.create_table(
        "briefing_cases",
        sa.Column("briefing_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["briefing_id"], ["briefings.id"], name=op.f("fk_briefing_cases_briefing_id_briefings")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_briefing_cases_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("briefing_id", "case_id", name=op.f("pk_briefing_cases")),
    )
    op.create_index(op.f("ix_briefing_cases_case_id"), "briefing_cases", ["case_id"])
    bind = op.get_bind()
    case_ids = dict(bind.execute(sa.text("SELECT ref, id FROM cases")).all())
    sheets = bind.execute(sa.text("SELECT id, options FROM briefings WHERE kind = 'bolo'"))
    rows = []
    for briefing_id, options in sheets:
        refs = (json.loads(options) if isinstance(options, str) else options or {}).get(
            "case_refs", []
        )
        rows += [
            {"briefing_id": briefing_id, "case_id": case_ids[ref]}
            for ref in dict.fromkeys(refs)
            if ref in case_ids
        ]
    if rows:
        op.bulk_insert(links, rows)


def downgrade():
    op.drop_index(op.f("ix_briefing_cases_case_id"), table_name="briefing_cases")
    op.drop_table("briefing_cases")
