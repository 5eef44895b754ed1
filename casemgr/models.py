"""Imports every domain module's models, so the metadata holds the whole schema."""

from casemgr.assessments.models import Assessment, AssessmentAnswer, RubricVersion
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import ApiToken, LoginFailure, User
from casemgr.briefings.models import Briefing
from casemgr.cases.models import (
    Case,
    CaseMember,
    CaseSequence,
    CaseStatusChange,
    Handoff,
    Referral,
    Task,
)
from casemgr.evidence.models import CustodyEvent, EvidenceItem, EvidenceMatch
from casemgr.people.models import Account, Protectee, Subject, SubjectAlias
from casemgr.search import index as search_index  # registers the flush listener
from casemgr.search.models import SearchDocument
from casemgr.threats.models import Threat, ThreatRevision

__all__ = [
    "search_index",
    "Account",
    "ApiToken",
    "Assessment",
    "AssessmentAnswer",
    "AuditEvent",
    "Briefing",
    "Case",
    "CaseMember",
    "CaseSequence",
    "CaseStatusChange",
    "CustodyEvent",
    "EvidenceItem",
    "EvidenceMatch",
    "Handoff",
    "LoginFailure",
    "Protectee",
    "Referral",
    "RubricVersion",
    "SearchDocument",
    "Subject",
    "SubjectAlias",
    "Task",
    "Threat",
    "ThreatRevision",
    "User",
]
