"""Handling marks: FIRST's Traffic Light Protocol 2.0 by default, or government
classification words for teams that must use them (CASEMGR_MARKING_SCHEME=government)."""

from __future__ import annotations

TLP = {
    "TLP:RED": "TLP:RED: for the eyes and ears of individual recipients only; no further "
    "disclosure.",
    "TLP:AMBER+STRICT": "TLP:AMBER+STRICT: limited disclosure, restricted to the "
    "recipient's organisation only.",
    "TLP:AMBER": "TLP:AMBER: limited disclosure, restricted to the recipient's organisation "
    "and its clients on a need-to-know basis.",
    "TLP:GREEN": "TLP:GREEN: limited disclosure, restricted to the recipient's community.",
    "TLP:CLEAR": "TLP:CLEAR: disclosure is not limited.",
}
GOVERNMENT = {
    "OFFICIAL": "OFFICIAL: handle with care; share on a need-to-know basis.",
    "OFFICIAL-SENSITIVE": "OFFICIAL-SENSITIVE: need-to-know only; do not forward outside "
    "the recipient's organisation without the originator's consent.",
}
SCHEMES = {"tlp": TLP, "government": GOVERNMENT}


def marks(scheme: str) -> dict[str, str]:
    """The marks of a scheme (unknown names fall back to TLP) with their handling rule."""
    return SCHEMES.get(scheme, TLP)


def css_class(mark: str) -> str:
    if mark in TLP:
        return mark.lower().replace(":", "-").replace("+", "-")
    return "other"
