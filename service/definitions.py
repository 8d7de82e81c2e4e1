"""Questionnaire versions in the database: registering a validated definition, and reading it back fast."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.loader import load_document, load_shipped, shipped_definitions, to_document
from questionnaires.model import Questionnaire, translate
from service.models import Organization, QuestionnaireVersion


class VersionConflict(ValueError):
    """An upload reuses a version number with different content."""


def checksum(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@lru_cache(maxsize=256)
def _parse(digest: str, canonical: str) -> Questionnaire:
    return load_document(json.loads(canonical), source=f"questionnaire {digest[:12]}")


def definition(version: QuestionnaireVersion) -> Questionnaire:
    """The parsed definition of a stored version; parsed once per process and content."""
    return _parse(version.checksum, json.dumps(version.document, sort_keys=True, ensure_ascii=False))


def register_version(
    session: Session,
    organization: Organization,
    questionnaire: Questionnaire,
    *,
    source: str,
    created_by_id: int | None = None,
) -> QuestionnaireVersion:
    """Store ``questionnaire`` for ``organization`` (or return the identical version already stored)."""
    document = to_document(questionnaire)
    digest = checksum(document)
    same_number = session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.organization_id == organization.id,
            QuestionnaireVersion.questionnaire_key == questionnaire.id,
            QuestionnaireVersion.version == questionnaire.version,
        )
    ).all()
    for existing in same_number:
        if existing.checksum == digest:
            return existing
    if same_number and source != "shipped":
        raise VersionConflict(
            f"version {questionnaire.version} of {questionnaire.id!r} already exists with different content: "
            "raise the version number"
        )
    version = QuestionnaireVersion(
        organization_id=organization.id,
        questionnaire_key=questionnaire.id,
        version=questionnaire.version,
        title=translate(questionnaire.title, organization.default_language, questionnaire.default_language),
        document=document,
        checksum=digest,
        source=source,
        created_by_id=created_by_id,
    )
    session.add(version)
    session.flush()
    return version


def register_shipped(
    session: Session, organization: Organization, questionnaire_id: str
) -> QuestionnaireVersion:
    """The organization's copy of a shipped questionnaire (``KeyError`` for an unknown id)."""
    if questionnaire_id not in shipped_definitions():
        raise KeyError(questionnaire_id)
    return register_version(session, organization, load_shipped(questionnaire_id), source="shipped")
