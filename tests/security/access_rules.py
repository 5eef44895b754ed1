"""Who may use each route: the table the access matrix walks, one rule per endpoint name of
the app's URL map (`static` aside). A route added without a rule here fails the matrix.

The role sets follow DESIGN.md's security model, written out here rather than read from
casemgr.auth.permissions, so that a wrong entry there is caught rather than copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ADMINS = frozenset({"admin"})
LEADS = frozenset({"admin", "lead"})
STAFF = frozenset({"admin", "lead", "analyst"})
EVERYONE = frozenset({"admin", "lead", "analyst", "viewer"})
PUBLIC = EVERYONE | {"anonymous"}
# The world's open case is handed from its owner, the analyst, to the lead: only the lead
# answers it, and the analyst (who offered it) or a lead may withdraw it.
HANDOFF_RECEIVER = frozenset({"lead"})
HANDOFF_GIVER_OR_LEAD = STAFF

# Route arguments that address something of a case (or a subject seen only on one): for
# someone outside a restricted case, every route taking one of them answers 404.
CASE_ARGUMENTS = frozenset(
    {
        "ref",
        "threat_id",
        "task_id",
        "handoff_id",
        "assessment_id",
        "briefing_id",
        "item_id",
        "other_id",
        "evidence_id",
        "subject_id",
        "account_id",
    }
)


@dataclass(frozen=True)
class Rule:
    """The roles that may use a route ("anonymous" for public ones)."""

    roles: frozenset[str]
    writers: frozenset[str] | None = None  # who may send its writes, when not `roles`
    # Route argument -> the world's sample to use, where the default one is not the right kind.
    samples: Mapping[str, str] = field(default_factory=dict)
    # The protectee registry is not restricted by cases (README: only cases, subjects,
    # accounts and threats are): these pages may name any protectee.
    registry: bool = False

    def allows(self, role: str, method: str) -> bool:
        chosen = self.roles if method == "GET" or self.writers is None else self.writers
        return role in chosen


BUNDLE = {"briefing_id": "bundle_id"}
# The world's bundle carries protectees' private details, which viewers may not see.
PRIVATE_BUNDLE = Rule(STAFF, samples=BUNDLE)

WEB_RULES: dict[str, Rule] = {
    # Public, and the user's own account.
    "auth.login": Rule(PUBLIC),
    "health.check": Rule(PUBLIC),
    "bootstrap.static": Rule(PUBLIC),
    "auth.logout": Rule(EVERYONE),
    "auth.reauthenticate": Rule(EVERYONE),
    "auth.settings": Rule(EVERYONE),
    "auth.password": Rule(EVERYONE),
    "auth.time_zone": Rule(EVERYONE),
    "auth.create_token": Rule(EVERYONE),
    "auth.revoke": Rule(EVERYONE),
    "api_docs.index": Rule(EVERYONE),
    # Administration.
    "admin.users": Rule(ADMINS),
    "admin.create": Rule(ADMINS),
    "admin.edit": Rule(ADMINS),
    "admin.reset": Rule(ADMINS),
    "assessments.rubrics": Rule(ADMINS),
    "assessments.reload_rubrics": Rule(ADMINS),
    # Lists, search and the start page.
    "dashboard.index": Rule(EVERYONE),
    "search.index": Rule(EVERYONE),
    "cases.index": Rule(EVERYONE, registry=True),
    # Cases.
    "cases.create": Rule(STAFF, registry=True),
    "cases.detail": Rule(EVERYONE),
    "cases.edit": Rule(STAFF, registry=True),
    "cases.transition": Rule(STAFF),
    "cases.assign": Rule(LEADS),
    "cases.referral": Rule(LEADS),
    "cases.add_task": Rule(STAFF),
    "cases.task_status": Rule(STAFF),
    "cases.hand_off": Rule(STAFF),
    "cases.handoff": Rule(EVERYONE),
    "cases.accept": Rule(HANDOFF_RECEIVER),
    "cases.decline": Rule(HANDOFF_RECEIVER),
    "cases.cancel": Rule(HANDOFF_GIVER_OR_LEAD),
    # Threats.
    "threats.create": Rule(STAFF, registry=True),
    "threats.detail": Rule(EVERYONE),
    "threats.edit": Rule(STAFF, registry=True),
    "threats.import_feed": Rule(STAFF),
    "threats.import_email": Rule(STAFF),
    # Evidence.
    "evidence.gallery": Rule(EVERYONE, writers=STAFF),
    "evidence.detail": Rule(EVERYONE),
    "evidence.download": Rule(EVERYONE),
    "evidence.derived_image": Rule(EVERYONE),
    "evidence.difference": Rule(EVERYONE),
    "evidence.manipulated": Rule(STAFF),
    "evidence.likeness": Rule(STAFF),
    "evidence.withdraw_item": Rule(STAFF),
    "evidence.transfer": Rule(STAFF),
    "evidence.reference_photo": Rule(STAFF),
    # Assessments.
    "assessments.create": Rule(STAFF),
    "assessments.history": Rule(EVERYONE),
    "assessments.detail": Rule(EVERYONE),
    "assessments.compare": Rule(EVERYONE),
    # Briefings and BOLO sheets.
    "briefings.create": Rule(LEADS),
    "briefings.log": Rule(EVERYONE),
    "briefings.download_pdf": Rule(EVERYONE),
    "briefings.download_bundle": PRIVATE_BUNDLE,
    "bolo.bolo": Rule(LEADS),
    # Protectees: a registry of the company's people, open to every role.
    "people.protectee_list": Rule(EVERYONE, registry=True),
    "people.protectee_new": Rule(STAFF),
    "people.protectee_detail": Rule(EVERYONE, registry=True),
    "people.protectee_edit": Rule(STAFF, registry=True),
    "people.protectee_archive": Rule(STAFF),
    "people.protectee_restore": Rule(STAFF),
    # Subjects and their accounts.
    "people.subject_list": Rule(EVERYONE),
    "people.subject_new": Rule(STAFF),
    "people.subject_detail": Rule(EVERYONE),
    "people.subject_edit": Rule(STAFF),
    "people.subject_merge": Rule(STAFF),
    "people.account_new": Rule(STAFF),
    "people.account_edit": Rule(STAFF),
}

API_RULES: dict[str, Rule] = {
    "api.get_openapi_document": Rule(PUBLIC),
    "api.get_me": Rule(EVERYONE),
    # Cases and the work on them.
    "api.get_list_cases": Rule(EVERYONE),
    "api.post_open_case": Rule(STAFF),
    "api.get_get_case": Rule(EVERYONE),
    "api.patch_edit_case": Rule(STAFF),
    "api.post_move_case": Rule(STAFF),
    "api.get_timeline": Rule(EVERYONE),
    "api.post_offer_handoff": Rule(STAFF),
    "api.post_accept": Rule(HANDOFF_RECEIVER),
    "api.post_decline": Rule(HANDOFF_RECEIVER),
    "api.post_add_task": Rule(STAFF),
    "api.patch_change_task": Rule(STAFF),
    "api.post_refer": Rule(LEADS),
    # Threats.
    "api.get_list_threats": Rule(EVERYONE),
    "api.post_add_threat": Rule(STAFF),
    "api.post_import_feed": Rule(STAFF),
    "api.post_take_in_email_message": Rule(STAFF),
    "api.get_get_one_threat": Rule(EVERYONE),
    "api.patch_change_threat": Rule(STAFF),
    # Evidence.
    "api.post_add_evidence": Rule(STAFF),
    "api.get_get_evidence": Rule(EVERYONE),
    "api.get_download_evidence": Rule(EVERYONE),
    "api.get_list_custody": Rule(EVERYONE),
    "api.post_mark_evidence_manipulated": Rule(STAFF),
    "api.post_withdraw_evidence": Rule(STAFF),
    # Assessments and rubrics.
    "api.get_list_rubrics": Rule(EVERYONE),
    "api.get_get_rubric": Rule(EVERYONE),
    "api.get_list_assessments": Rule(EVERYONE),
    "api.post_assess_case": Rule(STAFF),
    # Briefings.
    "api.get_list_briefings": Rule(EVERYONE),
    "api.post_create_briefing": Rule(LEADS),
    "api.post_create_bundle": Rule(LEADS),
    "api.get_download_pdf": Rule(EVERYONE),
    "api.get_download_bundle": PRIVATE_BUNDLE,
    # Protectees (the registry).
    "api.get_list_protectees": Rule(EVERYONE, registry=True),
    "api.post_add_protectee": Rule(STAFF),
    "api.get_get_one_protectee": Rule(EVERYONE, registry=True),
    "api.patch_edit_protectee": Rule(STAFF, registry=True),
    "api.post_add_reference_photo": Rule(STAFF),
    # Subjects and accounts.
    "api.get_list_subjects": Rule(EVERYONE),
    "api.post_add_subject": Rule(STAFF),
    "api.get_get_one_subject": Rule(EVERYONE),
    "api.patch_edit_subject": Rule(STAFF),
    "api.post_merge": Rule(STAFF),
    "api.post_add_subject_account": Rule(STAFF),
    "api.get_get_one_account": Rule(EVERYONE),
    "api.patch_edit_account": Rule(STAFF),
}

RULES: dict[str, Rule] = WEB_RULES | API_RULES
# Served by Flask itself, outside every blueprint: nothing of a case is in it.
UNRULED = frozenset({"static"})
