"""Loading definitions from YAML files, text or stored documents, and turning them back into documents.

Every loading function raises :class:`DefinitionError` carrying every problem found. A loaded
questionnaire can be stored as JSON with :func:`to_document` and loaded again unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from questionnaires.documents import read_yaml
from questionnaires.model import Choice, Indicator, Question, Questionnaire, Translated
from questionnaires.problems import DefinitionError, Problem
from questionnaires.validation import check_document

DEFINITIONS_DIR: Final = Path(__file__).parent / "definitions"
"""The questionnaires shipped with vises, one YAML file each."""


def load_document(doc: Mapping[str, Any], source: str = "<document>") -> Questionnaire:
    """A questionnaire from already-parsed data (a YAML document, or JSON stored in the database)."""
    questionnaire, problems = check_document(doc, source)
    if questionnaire is None:
        raise DefinitionError(problems)
    return questionnaire


def load_text(text: str, source: str = "<string>") -> Questionnaire:
    """A questionnaire from YAML text; syntax errors are located by line and column."""
    doc = read_yaml(text, source)
    questionnaire, problems = check_document(doc, source)
    if questionnaire is None:
        raise DefinitionError(problems)
    return questionnaire


def load_file(path: str | Path) -> Questionnaire:
    """A questionnaire from a YAML file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError([Problem(source, "", f"can't be read: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(source, "", "is not UTF-8 text")]) from exc
    return load_text(text, source)


@functools.cache
def _shipped() -> tuple[tuple[str, Path], ...]:
    best: dict[str, tuple[int, Path]] = {}
    for path in sorted([*DEFINITIONS_DIR.glob("*.yaml"), *DEFINITIONS_DIR.glob("*.yml")]):
        try:
            doc = read_yaml(path.read_text(encoding="utf-8"), str(path))
        except (DefinitionError, OSError, UnicodeDecodeError):
            doc = None
        header: Mapping[str, Any] = doc if isinstance(doc, Mapping) else {}
        raw_id, raw_version = header.get("id"), header.get("version")
        qid = raw_id if isinstance(raw_id, str) else path.stem
        version = raw_version if isinstance(raw_version, int) else 0
        if qid not in best or version > best[qid][0]:
            best[qid] = (version, path)
    return tuple((qid, path) for qid, (_, path) in sorted(best.items()))


def shipped_definitions() -> dict[str, Path]:
    """The shipped definition files keyed by questionnaire id (the highest version when several)."""
    return dict(_shipped())


@functools.cache
def load_shipped(qid: str) -> Questionnaire:
    """A shipped questionnaire, loaded once per process (callers share it: never change it)."""
    paths = shipped_definitions()
    if qid not in paths:
        known = ", ".join(sorted(paths)) or "none"
        raise KeyError(f"no shipped questionnaire {qid!r} (shipped: {known})")
    return load_file(paths[qid])


def _text(text: Translated) -> dict[str, str]:
    return dict(text)


def _put(doc: dict[str, Any], key: str, value: Any, default: Any = None) -> None:
    if value != default:
        doc[key] = value


def _choice(choice: Choice) -> dict[str, Any]:
    return {"code": choice.code, "label": _text(choice.label)}


def _question(q: Question) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": q.id, "type": q.type.value, "text": _text(q.text)}
    _put(doc, "required", q.required, True)
    _put(doc, "hint", q.hint and _text(q.hint))
    _put(doc, "show_if", q.show_if_source)
    _put(doc, "constraint", q.constraint_source)
    _put(doc, "constraint_message", q.constraint_message and _text(q.constraint_message))
    _put(doc, "choices", [_choice(c) for c in q.choices], [])
    _put(doc, "min", q.minimum)
    _put(doc, "max", q.maximum)
    _put(doc, "min_label", q.min_label and _text(q.min_label))
    _put(doc, "max_label", q.max_label and _text(q.max_label))
    _put(doc, "max_length", q.max_length)
    return doc


def _indicator(ind: Indicator) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": ind.id,
        "title": _text(ind.title),
        "dimension": ind.dimension.value,
        "method": ind.method.value,
    }
    if len(ind.questions) == 1:
        doc["question"] = ind.questions[0]
    else:
        doc["questions"] = list(ind.questions)
    _put(doc, "codes", list(ind.codes), [])
    _put(doc, "exclude", list(ind.exclude), [])
    _put(doc, "rescale", ind.rescale, False)
    _put(doc, "reverse", list(ind.reverse), [])
    _put(doc, "multiplier", ind.multiplier, 1.0)
    bands = [{"id": b.id, "label": _text(b.label), "min": b.minimum, "max": b.maximum} for b in ind.bands]
    _put(doc, "bands", bands, [])
    _put(doc, "min_n", ind.min_n, 5)
    _put(doc, "description", ind.description and _text(ind.description))
    _put(doc, "source", ind.source)
    return doc


def to_document(q: Questionnaire) -> dict[str, Any]:
    """The questionnaire as plain data (JSON-ready) in the file format; loading it gives ``q`` again."""
    doc: dict[str, Any] = {
        "id": q.id,
        "version": q.version,
        "title": _text(q.title),
        "languages": list(q.languages),
        "default_language": q.default_language,
    }
    _put(doc, "audience", q.audience, "")
    _put(doc, "source", q.source)
    _put(doc, "intro", q.intro and _text(q.intro))
    doc["consent"] = {"version": q.consent.version, "text": _text(q.consent.text)}
    _put(doc, "thanks", q.thanks and _text(q.thanks))
    doc["questions"] = [_question(question) for question in q.questions]
    _put(doc, "indicators", [_indicator(ind) for ind in q.indicators], [])
    return doc
