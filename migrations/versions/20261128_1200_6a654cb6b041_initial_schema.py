"""Initial schema: the whole data model of the design.

Reviewed by hand: every enumeration is a named CHECK constraint, every link a named
foreign key, lists filter and sort on indexed columns, and the audit log refuses UPDATE
and DELETE in the database itself (triggers below), not only in the application.

Revision ID: 6a654cb6b041
Revises:
Create Date: 2026-11-28 11:53:56.472900+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6a654cb6b041"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_sequences",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_case_sequences")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_address_at", "login_failures", ["address", "at"], unique=False
    )
    op.create_index(
        "ix_login_failures_username_at", "login_failures", ["username", "at"], unique=False
    )

    op.create_table(
        "protectees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("usual_locations", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("all_staff", sa.Boolean(), nullable=False),
        sa.Column("private_home_address", sa.Text(), nullable=False),
        sa.Column("private_phone", sa.String(length=64), nullable=False),
        sa.Column("private_family", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protectees")),
    )
    op.create_index(op.f("ix_protectees_name"), "protectees", ["name"], unique=False)

    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("affiliation_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('individual', 'group', 'unknown')", name=op.f("ck_subjects_kind_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["affiliation_id"], ["subjects.id"], name=op.f("fk_subjects_affiliation_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["subjects.id"], name=op.f("fk_subjects_merged_into_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    op.create_index(
        op.f("ix_subjects_affiliation_id"), "subjects", ["affiliation_id"], unique=False
    )
    op.create_index(
        op.f("ix_subjects_merged_into_id"), "subjects", ["merged_into_id"], unique=False
    )
    op.create_index(op.f("ix_subjects_name"), "subjects", ["name"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'lead', 'analyst', 'viewer')", name=op.f("ck_users_role_allowed")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("platform_account_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'deleted')", name=op.f("ck_accounts_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_accounts_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index("ix_accounts_platform_handle", "accounts", ["platform", "handle"], unique=False)
    op.create_index(op.f("ix_accounts_subject_id"), "accounts", ["subject_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("case_ref", sa.String(length=16), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    op.create_index(op.f("ix_audit_events_actor_id"), "audit_events", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_events_case_ref"), "audit_events", ["case_ref"], unique=False)
    op.create_index(
        "ix_audit_events_object", "audit_events", ["object_type", "object_id"], unique=False
    )

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("concern_level", sa.String(length=16), nullable=True),
        sa.Column("next_review_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "concern_level IN ('low', 'moderate', 'high', 'imminent')",
            name=op.f("ck_cases_concern_level_allowed"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')",
            name=op.f("ck_cases_priority_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'triage', 'assessment', 'active', 'referred', 'dormant', 'closed')",
            name=op.f("ck_cases_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_cases_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_cases_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("ref", name=op.f("uq_cases_ref")),
    )
    op.create_index(op.f("ix_cases_concern_level"), "cases", ["concern_level"], unique=False)
    op.create_index(op.f("ix_cases_created_at"), "cases", ["created_at"], unique=False)
    op.create_index(op.f("ix_cases_next_review_at"), "cases", ["next_review_at"], unique=False)
    op.create_index(op.f("ix_cases_owner_id"), "cases", ["owner_id"], unique=False)
    op.create_index(op.f("ix_cases_priority"), "cases", ["priority"], unique=False)
    op.create_index("ix_cases_status_updated_at", "cases", ["status", "updated_at"], unique=False)

    op.create_table(
        "subject_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subject_aliases_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_aliases")),
        sa.UniqueConstraint("subject_id", "alias", name=op.f("uq_subject_aliases_subject_id")),
    )
    op.create_index(op.f("ix_subject_aliases_alias"), "subject_aliases", ["alias"], unique=False)
    op.create_index(
        op.f("ix_subject_aliases_subject_id"), "subject_aliases", ["subject_id"], unique=False
    )

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("rubric_version", sa.String(length=50), nullable=False),
        sa.Column("rubric_sha256", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("computed_level", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("override_justification", sa.Text(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "computed_level IN ('low', 'moderate', 'high', 'imminent')",
            name=op.f("ck_assessments_computed_level_allowed"),
        ),
        sa.CheckConstraint(
            "level IN ('low', 'moderate', 'high', 'imminent')",
            name=op.f("ck_assessments_level_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["users.id"], name=op.f("fk_assessments_assessor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_assessments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["assessments.id"],
            name=op.f("fk_assessments_supersedes_id_assessments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(
        "ix_assessments_case_id_created_at", "assessments", ["case_id", "created_at"], unique=False
    )

    op.create_table(
        "briefings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("marking", sa.String(length=50), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=True),
        sa.Column("include_private", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('briefing', 'bundle', 'bolo')", name=op.f("ck_briefings_kind_allowed")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_briefings_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_briefings_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_briefings_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefings")),
    )
    op.create_index(
        "ix_briefings_case_id_created_at", "briefings", ["case_id", "created_at"], unique=False
    )

    op.create_table(
        "case_members",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_members_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_members")),
    )
    op.create_index(op.f("ix_case_members_user_id"), "case_members", ["user_id"], unique=False)

    op.create_table(
        "case_protectees",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("protectee_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_protectees_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["protectee_id"],
            ["protectees.id"],
            name=op.f("fk_case_protectees_protectee_id_protectees"),
        ),
        sa.PrimaryKeyConstraint("case_id", "protectee_id", name=op.f("pk_case_protectees")),
    )
    op.create_index(
        op.f("ix_case_protectees_protectee_id"), "case_protectees", ["protectee_id"], unique=False
    )

    op.create_table(
        "case_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "to_status IN ('new', 'triage', 'assessment', 'active', 'referred', 'dormant', 'closed')",
            name=op.f("ck_case_status_changes_to_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_status_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_status_changes_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_status_changes")),
    )
    op.create_index(
        "ix_case_status_changes_case_id_at", "case_status_changes", ["case_id", "at"], unique=False
    )

    op.create_table(
        "case_subjects",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_subjects_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_case_subjects_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("case_id", "subject_id", name=op.f("pk_case_subjects")),
    )
    op.create_index(
        op.f("ix_case_subjects_subject_id"), "case_subjects", ["subject_id"], unique=False
    )

    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("open_tasks", sa.Text(), nullable=False),
        sa.Column("review_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'cancelled')",
            name=op.f("ck_handoffs_status_allowed"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_handoffs_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_handoffs_from_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_handoffs_to_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_case_id"), "handoffs", ["case_id"], unique=False)
    op.create_index(
        "ix_handoffs_to_user_id_status", "handoffs", ["to_user_id", "status"], unique=False
    )
    op.create_index(
        "uq_handoffs_one_pending_per_case",
        "handoffs",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_referrals_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_case_id"), "referrals", ["case_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'cancelled')", name=op.f("ck_tasks_status_allowed")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_tasks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_case_id"), "tasks", ["case_id"], unique=False)
    op.create_index(
        "ix_tasks_owner_id_status_due_at", "tasks", ["owner_id", "status", "due_at"], unique=False
    )

    op.create_table(
        "threats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translation", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("threat_type", sa.String(length=16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("grading_source", sa.String(length=1), nullable=True),
        sa.Column("grading_information", sa.String(length=1), nullable=True),
        sa.Column("grading_handling", sa.String(length=1), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('public_post', 'direct_message', 'email', 'phone', 'letter', 'in_person', 'other')",
            name=op.f("ck_threats_channel_allowed"),
        ),
        sa.CheckConstraint(
            "grading_handling IN ('P', 'C')", name=op.f("ck_threats_grading_handling_allowed")
        ),
        sa.CheckConstraint(
            "grading_information IN ('A', 'B', 'C', 'D', 'E')",
            name=op.f("ck_threats_grading_information_allowed"),
        ),
        sa.CheckConstraint(
            "grading_source IN ('1', '2', '3')", name=op.f("ck_threats_grading_source_allowed")
        ),
        sa.CheckConstraint(
            "threat_type IN ('direct', 'conditional', 'veiled', 'concerning')",
            name=op.f("ck_threats_threat_type_allowed"),
        ),
        sa.CheckConstraint(
            "reported_at IS NULL OR reported_at >= occurred_at",
            name=op.f("ck_threats_reported_after_occurred"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_threats_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_threats_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_threats_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threats")),
    )
    op.create_index(op.f("ix_threats_account_id"), "threats", ["account_id"], unique=False)
    op.create_index(
        "ix_threats_case_id_occurred_at", "threats", ["case_id", "occurred_at"], unique=False
    )
    op.create_index(op.f("ix_threats_created_at"), "threats", ["created_at"], unique=False)
    op.create_index(op.f("ix_threats_occurred_at"), "threats", ["occurred_at"], unique=False)

    op.create_table(
        "assessment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_answers_assessment_id_assessments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_answers")),
        sa.UniqueConstraint(
            "assessment_id", "item_id", name=op.f("uq_assessment_answers_assessment_id")
        ),
    )
    op.create_index(
        op.f("ix_assessment_answers_assessment_id"),
        "assessment_answers",
        ["assessment_id"],
        unique=False,
    )

    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("threat_id", sa.Integer(), nullable=True),
        sa.Column("protectee_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("declared_mime", sa.String(length=200), nullable=False),
        sa.Column("original_filename", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acquired_by", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("type_mismatch", sa.Boolean(), nullable=False),
        sa.Column("analysis", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("image_format", sa.String(length=20), nullable=True),
        sa.Column("exif", sa.JSON(), nullable=True),
        sa.Column("has_gps", sa.Boolean(), nullable=False),
        sa.Column("phash", sa.String(length=16), nullable=True),
        sa.Column("dhash", sa.String(length=16), nullable=True),
        sa.Column("manipulated", sa.Boolean(), nullable=False),
        sa.Column("manipulation_note", sa.Text(), nullable=False),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'evidence' AND case_id IS NOT NULL) OR (kind = 'reference' AND protectee_id IS NOT NULL)",
            name=op.f("ck_evidence_items_owner_matches_kind"),
        ),
        sa.CheckConstraint(
            "analysis IN ('pending', 'ok', 'corrupt', 'over_pixel_limit', 'not_analysed')",
            name=op.f("ck_evidence_items_analysis_allowed"),
        ),
        sa.CheckConstraint(
            "kind IN ('evidence', 'reference')", name=op.f("ck_evidence_items_kind_allowed")
        ),
        sa.CheckConstraint("size >= 0", name=op.f("ck_evidence_items_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_evidence_items_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_evidence_items_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_items_original_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["protectee_id"],
            ["protectees.id"],
            name=op.f("fk_evidence_items_protectee_id_protectees"),
        ),
        sa.ForeignKeyConstraint(
            ["threat_id"], ["threats.id"], name=op.f("fk_evidence_items_threat_id_threats")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
    )
    op.create_index(
        "ix_evidence_items_case_id_created_at",
        "evidence_items",
        ["case_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_evidence_items_phash"), "evidence_items", ["phash"], unique=False)
    op.create_index(
        op.f("ix_evidence_items_protectee_id"), "evidence_items", ["protectee_id"], unique=False
    )
    op.create_index(op.f("ix_evidence_items_sha256"), "evidence_items", ["sha256"], unique=False)
    op.create_index(
        op.f("ix_evidence_items_threat_id"), "evidence_items", ["threat_id"], unique=False
    )

    op.create_table(
        "threat_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("threat_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edited_by_id"], ["users.id"], name=op.f("fk_threat_revisions_edited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["threat_id"], ["threats.id"], name=op.f("fk_threat_revisions_threat_id_threats")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threat_revisions")),
        sa.UniqueConstraint("threat_id", "number", name=op.f("uq_threat_revisions_threat_id")),
    )
    op.create_index(
        op.f("ix_threat_revisions_threat_id"), "threat_revisions", ["threat_id"], unique=False
    )

    op.create_table(
        "threat_targets",
        sa.Column("threat_id", sa.Integer(), nullable=False),
        sa.Column("protectee_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["protectee_id"],
            ["protectees.id"],
            name=op.f("fk_threat_targets_protectee_id_protectees"),
        ),
        sa.ForeignKeyConstraint(
            ["threat_id"], ["threats.id"], name=op.f("fk_threat_targets_threat_id_threats")
        ),
        sa.PrimaryKeyConstraint("threat_id", "protectee_id", name=op.f("pk_threat_targets")),
    )
    op.create_index(
        op.f("ix_threat_targets_protectee_id"), "threat_targets", ["protectee_id"], unique=False
    )

    op.create_table(
        "assessment_answer_evidence",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["assessment_answers.id"],
            name=op.f("fk_assessment_answer_evidence_answer_id_assessment_answers"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_assessment_answer_evidence_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint(
            "answer_id", "evidence_id", name=op.f("pk_assessment_answer_evidence")
        ),
    )
    op.create_index(
        op.f("ix_assessment_answer_evidence_evidence_id"),
        "assessment_answer_evidence",
        ["evidence_id"],
        unique=False,
    )

    op.create_table(
        "assessment_answer_threats",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("threat_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["assessment_answers.id"],
            name=op.f("fk_assessment_answer_threats_answer_id_assessment_answers"),
        ),
        sa.ForeignKeyConstraint(
            ["threat_id"],
            ["threats.id"],
            name=op.f("fk_assessment_answer_threats_threat_id_threats"),
        ),
        sa.PrimaryKeyConstraint(
            "answer_id", "threat_id", name=op.f("pk_assessment_answer_threats")
        ),
    )
    op.create_index(
        op.f("ix_assessment_answer_threats_threat_id"),
        "assessment_answer_threats",
        ["threat_id"],
        unique=False,
    )

    op.create_table(
        "briefing_evidence",
        sa.Column("briefing_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["briefing_id"],
            ["briefings.id"],
            name=op.f("fk_briefing_evidence_briefing_id_briefings"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_briefing_evidence_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("briefing_id", "evidence_id", name=op.f("pk_briefing_evidence")),
    )
    op.create_index(
        op.f("ix_briefing_evidence_evidence_id"), "briefing_evidence", ["evidence_id"], unique=False
    )

    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "action IN ('acquired', 'uploaded', 'viewed', 'downloaded', 'briefed', 'bundled', 'transferred', 'marked_manipulated', 'withdrawn')",
            name=op.f("ck_custody_events_action_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_custody_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_custody_events_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
    )
    op.create_index(
        op.f("ix_custody_events_evidence_id"), "custody_events", ["evidence_id"], unique=False
    )

    _make_audit_log_append_only()


_APPEND_ONLY = "audit events are append-only"


def _make_audit_log_append_only():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
        )


def downgrade():
    op.drop_table("custody_events")
    op.drop_table("briefing_evidence")
    op.drop_table("assessment_answer_threats")
    op.drop_table("assessment_answer_evidence")
    op.drop_table("threat_targets")
    op.drop_table("threat_revisions")
    op.drop_table("evidence_items")
    op.drop_table("assessment_answers")
    op.drop_table("threats")
    op.drop_table("tasks")
    op.drop_table("referrals")
    op.drop_table("handoffs")
    op.drop_table("case_subjects")
    op.drop_table("case_status_changes")
    op.drop_table("case_protectees")
    op.drop_table("case_members")
    op.drop_table("briefings")
    op.drop_table("assessments")
    op.drop_table("subject_aliases")
    op.drop_table("cases")
    op.drop_table("audit_events")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_table("api_tokens")
    op.drop_table("accounts")
    op.drop_table("users")
    op.drop_table("subjects")
    op.drop_table("protectees")
    op.drop_table("login_failures")
    op.drop_table("case_sequences")
