"""JSON API v1. Importing the endpoint modules registers their routes on the blueprint."""

from casemgr.api import (
    assessments,
    briefings,
    case_work,
    cases,
    evidence,
    intake,
    me,
    protectees,
    subjects,
    threats,
)
from casemgr.api.blueprint import bp

__all__ = [
    "assessments",
    "bp",
    "briefings",
    "case_work",
    "cases",
    "evidence",
    "intake",
    "me",
    "protectees",
    "subjects",
    "threats",
]
