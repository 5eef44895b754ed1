"""Evidence likeness: an image item can be marked as showing a subject (the photo of the
BOLO sheet), and marking or clearing it is a custody action of its own.

Revision ID: cfbb6e348a61
Revises: f1c18a53c4b7
Create Date: 2026-11-28 13:20:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "cfbb6e348a61"
down_revision = "f1c18a53c4b7"
branch_labels = None
depends_on = None

ACTIONS = (
    "acquired",
    "uploaded",
    "viewed",
    "downloaded",
    "briefed",
    "bundled",
    "transferred",
    "marked_manipulated",
    "withdrawn",
)
CUSTODY_CHECK = "ck_custody_events_action_allowed"


def _allowed(actions):
    return "action IN ({})".format(", ".join(f"'{action}'" for action in actions))


def _replace_custody_check(actions):
    with op.batch_alter_table("custody_events") as batch_op:
        batch_op.drop_constraint(op.f(CUSTODY_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(CUSTODY_CHECK), _allowed(actions))


def upgrade():
    with op.batch_alter_table("evidence_items") as batch_op:
        batch_op.add_column(sa.Column("likeness_subject_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            op.f("ix_evidence_items_likeness_subject_id"), ["likeness_subject_id"]
        )
        batch_op.create_foreign_key(
            op.f("fk_evidence_items_likeness_subject_id_subjects"),
            "subjects",
            ["likeness_subject_id"],
            ["id"],
        )
    _replace_custody_check((*ACTIONS[:-1], "marked_likeness", ACTIONS[-1]))


def downgrade():
    # The likeness marks go with their column, so their custody notes go too; the audit
    # log (append-only) keeps the record of each mark.
    op.execute("DELETE FROM custody_events WHERE action = 'marked_likeness'")
    _replace_custody_check(ACTIONS)
    with op.batch_alter_table("evidence_items") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_evidence_items_likeness_subject_id_subjects"), type_="foreignkey"
        )
        batch_op.drop_index(op.f("ix_evidence_items_likeness_subject_id"))
        batch_op.drop_column("likeness_subject_id")
