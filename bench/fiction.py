"""Fictional people, groups, platforms and threat wording for the generated data.

Everything here is invented: the company is Lumina Social (the canonical story), the platforms
live under `.example` domains, and names are drawn from lists of common given names and
surnames combined at random. Threat wording follows what monitoring teams see (calls to
violence, conditional demands, veiled warnings, fixation), in six languages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COMPANY = "Lumina Social"


def seeded(seed: int) -> random.Random:
    """A generator of reproducible fiction (the same seed gives the same data)."""
    return random.Random(seed)  # noqa: S311 - reproducible data, not a secret


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN_NAMES = _words(
    "Dana Elias Maren Tobias Ines Rafael Noor Aiko Lucas Sofia Omar Greta Milan Yara Jonas"
    " Leila Pavel Clara Idris Hanna Mateo Amara Felix Zofia Karim Elena Tariq Lina Hugo Vera"
)
SURNAMES = _words(
    "Whitfield Castellanos Okonkwo Lindqvist Marchetti Haddad Novak Brennan Delacroix Takahashi"
    " Volkov Amrani Fischer Moreau Ortega Petrova Quinlan Rahimi Sandoval Thorne Vasquez Weber"
    " Yilmaz Zeller Abernathy Carvalho Ekwueme Grimaldi Halloran Kowalczyk"
)
TITLES = (
    "Chief Executive Officer",
    "Co-founder",
    "Chief Operating Officer",
    "General Counsel",
    "Head of Trust and Safety",
    "Head of Communications",
    "Spokesperson",
    "Vice President, Policy",
    "Content Moderation Lead",
    "Chief Technology Officer",
    "Regional Director",
    "Head of Public Affairs",
)
DEPARTMENTS = ("Executive", "Legal", "Trust and Safety", "Communications", "Policy", "Engineering")
PLACES = (
    "Eastbrook",
    "Harlow Bay",
    "Millgate",
    "North Quay",
    "Larkspur Lane",
    "Riverside campus",
    "the Aldine Hotel",
    "Kestrel Street",
    "the Westmoor office",
    "Pier Nine",
)
GROUP_WORDS = (
    _words("Crimson Iron Black Silent Northern Free True Burning Hollow"),
    _words("Dawn Vanguard Tide Front Circle Brigade Banner Legion Watch"),
)
HANDLE_WORDS = _words(
    "dawn vanguard tide ember wolf raven storm ghost truth signal anvil torch viper echo night"
    " rogue patriot warden static ash"
)


@dataclass(frozen=True)
class Platform:
    name: str
    domain: str


PLATFORMS = (
    Platform("Chirper", "chirper.example"),
    Platform("Loopline", "loopline.example"),
    Platform("Yapster", "yapster.example"),
    Platform("Streamhive", "streamhive.example"),
    Platform("Pinwall", "pinwall.example"),
    Platform("Talkrooms", "talkrooms.example"),
    Platform("Vidloop", "vidloop.example"),
    Platform("Murmur", "murmur.example"),
)


@dataclass(frozen=True)
class Wording:
    """One way threats are phrased: the text in its language, its English translation (empty
    for English), and the threat type an analyst would give it."""

    language: str
    text: str
    translation: str
    threat_type: str


def _w(language: str, text: str, translation: str, threat_type: str) -> Wording:
    return Wording(language, text, translation, threat_type)


# {name}: a protectee's full name, {company}: the company, {place}: a place they are seen.
WORDINGS = (
    _w("en", "{name}, you will answer for every account you silenced.", "", "veiled"),
    _w("en", "Kill every employee of {company} and its management.", "", "direct"),
    _w("en", "Restore our accounts by Friday or {name} will pay with blood.", "", "conditional"),
    _w("en", "We know {name} leaves {place} at seven. We will be waiting.", "", "direct"),
    _w("en", "For every account you suspend we open ten. {company} is next.", "", "veiled"),
    _w("en", "Someone should put {name} in the ground. Just saying.", "", "concerning"),
    _w("en", "I have been watching {name} for weeks. Soon everyone will know.", "", "concerning"),
    _w("en", "Burn {company} down with everyone inside.", "", "direct"),
    _w(
        "es",
        "{name}, pagarás por cada cuenta que cerraste.",
        "{name}, you will pay for every account you closed.",
        "veiled",
    ),
    _w(
        "es",
        "Maten a todos los empleados de {company}.",
        "Kill all the employees of {company}.",
        "direct",
    ),
    _w(
        "es",
        "Si no devuelven nuestras cuentas, {name} no llegará a {place}.",
        "If they do not give our accounts back, {name} will not make it to {place}.",
        "conditional",
    ),
    _w(
        "fr",
        "Nous savons où habite {name}. Rendez nos comptes ou il le paiera.",
        "We know where {name} lives. Give our accounts back or he will pay for it.",
        "conditional",
    ),
    _w(
        "fr",
        "{company} brûlera, et ses dirigeants avec.",
        "{company} will burn, and its leaders with it.",
        "direct",
    ),
    _w(
        "fr",
        "On attendra {name} devant {place}.",
        "We will wait for {name} outside {place}.",
        "veiled",
    ),
    _w(
        "de",
        "Wir wissen, wo {name} wohnt. Gebt unsere Konten zurück, sonst zahlt er dafür.",
        "We know where {name} lives. Give our accounts back, or he pays for it.",
        "conditional",
    ),
    _w(
        "de",
        "Jeder Mitarbeiter von {company} ist ein Ziel.",
        "Every employee of {company} is a target.",
        "direct",
    ),
    _w(
        "de",
        "{name} sollte sich in {place} besser umsehen.",
        "{name} had better look around in {place}.",
        "veiled",
    ),
    _w(
        "ar",
        "اقتلوا كل موظفي {company} وإدارتها",
        "Kill every employee of {company} and its management.",
        "direct",
    ),
    _w(
        "ar",
        "نعرف أين يسكن {name}. أعيدوا حساباتنا وإلا سيدفع الثمن",
        "We know where {name} lives. Give back our accounts or he will pay the price.",
        "conditional",
    ),
    _w(
        "ar",
        "لكل حساب تغلقونه سنفتح عشرة. انتظروا",
        "For every account you close we will open ten. Wait.",
        "veiled",
    ),
    _w(
        "ru",
        "Мы знаем, где живёт {name}. Верните наши аккаунты, или он за это заплатит.",
        "We know where {name} lives. Give our accounts back, or he will pay for it.",
        "conditional",
    ),
    _w(
        "ru",
        "Смерть руководству {company}.",
        "Death to the management of {company}.",
        "direct",
    ),
    _w(
        "ru",
        "{name} скоро пожалеет. Мы рядом, в {place}.",
        "{name} will soon regret it. We are close, in {place}.",
        "veiled",
    ),
)
# English is most of what a monitoring feed brings in; the rest is spread over the others.
LANGUAGE_WEIGHTS = {"en": 55, "es": 10, "fr": 9, "de": 9, "ar": 10, "ru": 7}
_BY_LANGUAGE = {
    language: [wording for wording in WORDINGS if wording.language == language]
    for language in LANGUAGE_WEIGHTS
}
CLOSINGS = ("", "", " #justice", " You have been warned.", " Tick tock.", " 🔥", " !!!")

TASK_TITLES = (
    "Brief the reception desk on the subject's photo",
    "Vary the protectee's route to the office",
    "Ask the platform to preserve the account's data",
    "Review access badges at the main entrance",
    "Check the protectee's home address is not public",
    "Share the threat chronology with the regional team",
    "Arrange a residential security survey",
    "Follow up with the police liaison officer",
    "Monitor the new accounts for a week",
    "Update the protectee's travel plan",
)
AGENCIES = (
    ("National Counter-Terrorism Policing Unit", "Online Threats Desk"),
    ("Metropolitan Protection Command", "Fixated Threat Team"),
    ("Regional Crime Agency", "Cyber Intelligence Cell"),
)
RATIONALES = {
    "directly_communicated_threat": "The post states an intent to harm staff of the company.",
    "target_specificity": "The threat names the protectee.",
    "time_place_method": "Mentions where the protectee is seen.",
    "unconditional": "No condition is attached to the harm.",
    "pathway": "Asked others for the protectee's schedule.",
    "fixation": "Posts about the protectee almost daily, increasingly personal.",
    "identification": "Uses the group's insignia and calls himself a soldier.",
    "leakage": "Told others online that something will happen soon.",
}


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)}"


def group_name(rng: random.Random) -> str:
    return f"{rng.choice(GROUP_WORDS[0])} {rng.choice(GROUP_WORDS[1])}"


def handle(rng: random.Random, number: int) -> str:
    """A handle unique by its number (the same words come back often, as on real platforms)."""
    first, second = rng.choice(HANDLE_WORDS), rng.choice(HANDLE_WORDS)
    return f"@{first}_{second}{number}"


def account_url(platform: Platform, account_handle: str) -> str:
    return f"https://{platform.domain}/{account_handle.lstrip('@')}"


def wording(rng: random.Random) -> Wording:
    language = rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0]
    return rng.choice(_BY_LANGUAGE[language])


def threat_text(rng: random.Random, chosen: Wording, target: str) -> tuple[str, str]:
    """The verbatim text and its translation (kept for most, not all, foreign threats)."""
    values = {"name": target, "company": COMPANY, "place": rng.choice(PLACES)}
    text = chosen.text.format(**values) + rng.choice(CLOSINGS)
    translated = chosen.translation and rng.random() < 0.8
    return text, chosen.translation.format(**values) if translated else ""
