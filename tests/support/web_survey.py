"""A questionnaire with every question type, and a running campaign of it, for the web survey's tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from questionnaires.loader import load_text
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.definitions import register_version
from service.models import Campaign, Organization, utcnow
from service.runtime import Runtime

EVERY_TYPE = """
id: every-type
version: 1
title: {fr: "Votre avis sur {org}", nl: "Uw mening over {org}", en: "Your view of {org}"}
languages: [fr, nl, en]
default_language: fr
intro: {fr: "Bonjour de la part de {org} !", nl: "Hallo namens {org}!", en: "Hello from {org}!"}
consent:
  version: "1"
  text: {fr: "Acceptez-vous de répondre ?", nl: "Wilt u antwoorden?", en: "Do you agree to answer?"}
thanks: {fr: "Merci beaucoup !", nl: "Hartelijk dank!", en: "Thank you very much!"}
questions:
  - id: mood
    type: single_choice
    text: {fr: "Comment allez-vous ?", nl: "Hoe gaat het met u?", en: "How are you?"}
    choices:
      - {code: good, label: {fr: Bien, nl: Goed, en: Good}}
      - {code: fair, label: {fr: Moyen, nl: Matig, en: So-so}}
      - {code: bad, label: {fr: Mal, nl: Slecht, en: Bad}}
  - id: fruits
    type: multiple_choice
    text: {fr: "Quels fruits aimez-vous ?", nl: "Welk fruit eet u graag?", en: "Which fruit do you like?"}
    choices:
      - {code: apple, label: {fr: Pomme, nl: Appel, en: Apple}}
      - {code: pear, label: {fr: Poire, nl: Peer, en: Pear}}
      - {code: plum, label: {fr: Prune, nl: Pruim, en: Plum}}
  - id: halfway
    type: note
    text: {fr: "Plus que quelques questions.", nl: "Nog maar een paar vragen.", en: "Only a few questions left."}
  - id: recommend
    type: scale
    min: 0
    max: 10
    min_label: {fr: pas du tout, nl: helemaal niet, en: not at all likely}
    max_label: {fr: tout à fait, nl: zeker wel, en: extremely likely}
    text: {fr: "Recommanderiez-vous {org} ?", nl: "Zou u {org} aanraden?", en: "Would you recommend {org}?"}
  - id: member
    type: yes_no
    text: {fr: "Êtes-vous membre ?", nl: "Bent u lid?", en: "Are you a member?"}
  - id: age
    type: integer
    min: 16
    max: 120
    text: {fr: "Quel âge avez-vous ?", nl: "Hoe oud bent u?", en: "How old are you?"}
  - id: hours
    type: number
    required: false
    min: 0
    max: 60
    text: {fr: "Combien d'heures par semaine ?", nl: "Hoeveel uur per week?", en: "How many hours a week?"}
  - id: comment
    type: text
    required: false
    max_length: 200
    text: {fr: "Un commentaire ?", nl: "Een opmerking?", en: "Any comment?"}
"""

QUESTIONS = ("mood", "fruits", "recommend", "member", "age", "hours", "comment")
"""The questions of EVERY_TYPE that take an answer, in order (``halfway`` is a note)."""


def make_survey_campaign(
    runtime: Runtime,
    definition: str = EVERY_TYPE,
    *,
    status: str = "start",
    channels: tuple[str, ...] = ("web", "sms"),
    slug: str = "atelier",
    **options: Any,
) -> Campaign:
    """A campaign of ``definition`` for the organization ``slug`` (created if new), in ``status``."""
    with runtime.transaction() as session:
        org = session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            org = create_organization(session, slug, name="Atelier Namur", short_name="Atelier")
        version = register_version(session, org, load_text(definition), source="yaml")
        created = create_campaign(session, org, version, name="Web", channels=list(channels), **options)
        if status != "draft":
            change_status(session, created, "start", now=utcnow() - timedelta(days=1))
        if status in ("pause", "close"):
            change_status(session, created, status)
        return created
