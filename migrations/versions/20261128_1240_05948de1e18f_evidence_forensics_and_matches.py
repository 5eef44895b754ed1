"""Evidence forensics: notes on analysis and type mismatches, GPS, the pHash bands of the
multi-index lookup, and the near matches found between images.

Revision ID: 05948de1e18f
Revises: befafcfd569b
Create Date: 2026-11-28 12:40:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "05948de1e18f"
down_revision = "befafcfd569b"
branch_labels = None
depends_on = None

BANDS = ("phash_b0", "phash_b1", "phash_b2", "phash_b3")


def upgrade():
    op.create_table(
        "evidence_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("matched_id", sa.Integer(), nullable=False),
        sa.Column("phash_distance", sa.Integer(), nullable=False),
        sa.Column("dhash_distance", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "evidence_id != matched_id", name=op.f("ck_evidence_matches_not_itself")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_matches_evidence_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["matched_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_matches_matched_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_matches")),
        sa.UniqueConstraint(
            "evidence_id", "matched_id", name=op.f("uq_evidence_matches_evidence_id")
        ),
    )
    op.create_index(op.f("ix_evidence_matches_evidence_id"), "evidence_matches", ["evidence_id"])
    op.create_index(op.f("ix_evidence_matches_matched_id"), "evidence_matches", ["matched_id"])
    with op.batch_alter_table("evidence_items") as batch_op:
        batch_op.add_column(
            sa.Column("analysis_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("mismatch_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("gps", sa.JSON(), nullable=True))
        for band in BANDS:
            batch_op.add_column(sa.Column(band, sa.Integer(), nullable=True))
            batch_op.create_index(f"ix_evidence_items_{band}", [band])


def downgrade():
    with op.batch_alter_table("evidence_items") as batch_op:
        for band in BANDS:
            batch_op.drop_index(f"ix_evidence_items_{band}")
            batch_op.drop_column(band)
        batch_op.drop_column("gps")
        batch_op.drop_column("mismatch_note")
        batch_op.drop_column("analysis_note")
    op.drop_table("evidence_matches")
