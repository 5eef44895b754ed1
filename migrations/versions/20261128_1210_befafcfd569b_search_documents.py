"""Full-text search: one document per case, threat, subject and account, indexed by the
database itself (SQLite FTS5 kept in step by triggers; PostgreSQL tsvector with GIN).

Both use word splitting that knows every script, so Arabic and other non-Latin text is
searchable; neither stems, so a word matches as written (with prefix matching).

Revision ID: befafcfd569b
Revises: 6a654cb6b041
Create Date: 2026-11-28 12:10:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "befafcfd569b"
down_revision = "6a654cb6b041"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('case', 'threat', 'subject', 'account')",
            name=op.f("ck_search_documents_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_search_documents_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_search_documents_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("kind", "object_id", name=op.f("uq_search_documents_kind")),
    )
    op.create_index(op.f("ix_search_documents_case_id"), "search_documents", ["case_id"])
    op.create_index(op.f("ix_search_documents_subject_id"), "search_documents", ["subject_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN body_tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_search_documents_body_tsv ON search_documents USING gin (body_tsv)"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_documents', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    # The external-content pattern of the FTS5 manual: the index follows every write.
    op.execute(
        "CREATE TRIGGER search_fts_after_insert AFTER INSERT ON search_documents BEGIN "
        "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER search_fts_after_delete AFTER DELETE ON search_documents BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END"
    )
    op.execute(
        "CREATE TRIGGER search_fts_after_update AFTER UPDATE ON search_documents BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE search_fts")  # its triggers live on search_documents
    op.drop_table("search_documents")
