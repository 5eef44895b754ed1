"""The assessment each one supersedes, indexed. SQLite looks up the assessments naming a row
as superseded when that row is removed and, while deferred foreign-key checks are pending
(as the data generator leaves them within a transaction), when one is added: without the
index, each new assessment scanned the table (200,000 rows at 100,000 cases).

Revision ID: 158d4ee8d618
Revises: b7d2e91f4a03
Create Date: 2026-11-29 02:30:00+00:00
"""

from alembic import op

revision = "158d4ee8d618"
down_revision = "b7d2e91f4a03"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_assessments_supersedes_id"), "assessments", ["supersedes_id"])


def downgrade():
    op.drop_index(op.f("ix_assessments_supersedes_id"), table_name="assessments")
