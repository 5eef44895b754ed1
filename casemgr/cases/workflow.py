"""The case workflow: one table of allowed transitions, and the rules around it."""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.errors import Conflict, ValidationFailed

# From each status, the statuses a case may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"triage", "dormant", "closed"}),
    "triage": frozenset({"assessment", "dormant", "closed"}),
    "assessment": frozenset({"active", "referred", "dormant", "closed"}),
    "active": frozenset({"assessment", "referred", "dormant", "closed"}),
    "referred": frozenset({"active", "dormant", "closed"}),
    "dormant": frozenset({"triage", "assessment", "active", "closed"}),
    "closed": frozenset({"triage"}),
}

STATUS_LABELS = {
    "new": "New",
    "triage": "Triage",
    "assessment": "Assessment",
    "active": "Active (monitoring / mitigation)",
    "referred": "Referred to law enforcement",
    "dormant": "Dormant (watch, no action)",
    "closed": "Closed",
}

LEAD_ROLES = frozenset({"admin", "lead"})


class TransitionNotAllowed(Conflict):
    title = "Transition not allowed"


@dataclass(frozen=True)
class TransitionRequest:
    current: str
    target: str
    reason: str
    role: str
    assessed_since_last_threat: bool


def check_transition(request: TransitionRequest) -> None:
    """Raise TransitionNotAllowed, saying why, unless the move is allowed (ValidationFailed
    for a missing reason)."""
    if not request.reason.strip():
        raise ValidationFailed({"reason": ["Give a reason for the change of status."]})
    if request.target == request.current:
        raise TransitionNotAllowed(f"The case is already {STATUS_LABELS[request.current].lower()}.")
    if request.target not in TRANSITIONS.get(request.current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS[request.current])) or "nothing"
        raise TransitionNotAllowed(
            f"A case cannot go from {request.current} to {request.target}; from {request.current} "
            f"it may go to: {allowed}."
        )
    if request.current == "closed" and request.role not in LEAD_ROLES:
        raise TransitionNotAllowed("Reopening a closed case is a lead's action.")
    if request.target == "closed" and request.role not in LEAD_ROLES:
        raise TransitionNotAllowed("Closing a case is a lead's action.")
    if request.target == "closed" and not request.assessed_since_last_threat:
        raise TransitionNotAllowed(
            "A case cannot be closed without an assessment made after its last threat."
        )
    if request.target == "referred" and request.role not in LEAD_ROLES:
        raise TransitionNotAllowed("Referring a case to law enforcement is a lead's action.")


def next_statuses(current: str) -> list[str]:
    return sorted(TRANSITIONS.get(current, frozenset()), key=list(STATUS_LABELS).index)
