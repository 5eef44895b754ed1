"""Indexes for the main pages at scale (100,000 cases, 1,000,000 threats): the case list's
default order, deep pages included, with the visibility columns so that an analyst's page
is found from the index alone; the dashboard's open cases by concern (index-only) and its
unassessed cases, oldest first (it replaces the single-column concern index, its prefix);
the restricted cases, for the threats a user may not see; and threats by case and time
logged, for the dashboard's new threats and its "newer threat than the last assessment".

Revision ID: 674a5ae8df80
Revises: cfbb6e348a61
Create Date: 2026-11-28 15:45:00+00:00
"""

from alembic import op

revision = "674a5ae8df80"
down_revision = "cfbb6e348a61"
branch_labels = None
depends_on = None

VISIBILITY = ["restricted", "owner_id"]


def upgrade():
    op.create_index("ix_cases_updated_at_id", "cases", ["updated_at", "id", *VISIBILITY])
    op.create_index(
        "ix_cases_concern_level_created_at",
        "cases",
        ["concern_level", "created_at", "status", *VISIBILITY],
    )
    op.drop_index(op.f("ix_cases_concern_level"), table_name="cases")
    op.create_index("ix_cases_restricted_owner_id", "cases", VISIBILITY)
    op.create_index("ix_threats_case_id_created_at", "threats", ["case_id", "created_at"])


def downgrade():
    op.drop_index("ix_threats_case_id_created_at", table_name="threats")
    op.drop_index("ix_cases_restricted_owner_id", table_name="cases")
    op.create_index(op.f("ix_cases_concern_level"), "cases", ["concern_level"])
    op.drop_index("ix_cases_concern_level_created_at", table_name="cases")
    op.drop_index("ix_cases_updated_at_id", table_name="cases")
