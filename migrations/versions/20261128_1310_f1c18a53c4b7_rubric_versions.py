"""Rubric versions: the exact text of each rubric file assessments were scored with,
referenced by every assessment through the file's SHA-256.

Revision ID: f1c18a53c4b7
Revises: 05948de1e18f
Create Date: 2026-11-28 13:10:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f1c18a53c4b7"
down_revision = "05948de1e18f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rubric_versions",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_rubric_versions")),
    )
    op.create_index(op.f("ix_rubric_versions_rubric_id"), "rubric_versions", ["rubric_id"])
    with op.batch_alter_table("assessments") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_assessments_rubric_sha256_rubric_versions"),
            "rubric_versions",
            ["rubric_sha256"],
            ["sha256"],
        )


def downgrade():
    with op.batch_alter_table("assessments") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_assessments_rubric_sha256_rubric_versions"), type_="foreignkey"
        )
    op.drop_table("rubric_versions")
