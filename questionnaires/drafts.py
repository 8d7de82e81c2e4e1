"""What could be read of a definition document, so that every check runs even when some parts failed.

A document that doesn't load as a whole still has parts that do: the header fields marshmallow accepted,
and each question or indicator that loads on its own (perhaps without a broken optional field). The
cross-checks read this draft, so one run reports a misspelt field and a wrong reference together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from questionnaires.model import Indicator, Question, Questionnaire, Translated
from questionnaires.problems import ProblemReport
from questionnaires.schema import IndicatorSchema, QuestionSchema


@dataclass
class Draft:
    """What could be read of a document, so that cross-checks run even when some parts failed."""

    source: str
    languages: tuple[str, ...] | None
    default_language: str | None
    texts: list[tuple[str, str, Translated]]
    questions: list[Question]
    question_ids: list[str]
    indicators: list[Indicator]

    @classmethod
    def of(cls, q: Questionnaire, source: str) -> Draft:
        """The draft of a document that loaded whole."""
        return cls(
            source=source,
            languages=q.languages,
            default_language=q.default_language,
            texts=_header_texts(q.title, q.intro, q.thanks, q.consent.text),
            questions=list(q.questions),
            question_ids=[question.id for question in q.questions],
            indicators=list(q.indicators),
        )

    @classmethod
    def salvage(cls, doc: Mapping[str, Any], valid: Mapping[str, Any], source: str) -> Draft:
        """The parts of a document that loaded: marshmallow's ``valid`` data, then item by item."""
        languages = valid.get("languages")
        consent = valid.get("consent")
        raw_questions = doc.get("questions")
        raw_indicators = doc.get("indicators")
        return cls(
            source=source,
            languages=tuple(languages) if isinstance(languages, list) else None,
            default_language=valid.get("default_language"),
            texts=_header_texts(
                valid.get("title"),
                valid.get("intro"),
                valid.get("thanks"),
                getattr(consent, "text", None),
            ),
            questions=_loadable(QuestionSchema, raw_questions),
            question_ids=[
                item["id"]
                for item in (raw_questions if isinstance(raw_questions, list) else [])
                if isinstance(item, Mapping) and isinstance(item.get("id"), str)
            ],
            indicators=_loadable(IndicatorSchema, raw_indicators),
        )


def _header_texts(
    title: Translated | None, intro: Translated | None, thanks: Translated | None, consent: Translated | None
) -> list[tuple[str, str, Translated]]:
    named = (("title", "", title), ("intro", "", intro), ("thanks", "", thanks), ("consent", "text", consent))
    return [(location, name, text) for location, name, text in named if text]


_DROPPABLE = frozenset(
    {"hint", "min_label", "max_label", "max_length", "constraint_message", "required"}
    | {"description", "source", "min_n", "rescale"}
)
"""Optional fields whose absence can't cause another error, dropped to check the rest of an item."""


def _loadable(schema: type[QuestionSchema] | type[IndicatorSchema], items: object) -> list[Any]:
    """The items that load, retrying each without its unknown or broken optional fields."""
    loaded = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        try:
            loaded.append(schema().load(item))
        except ValidationError as exc:
            failed = set(exc.messages) if isinstance(exc.messages, Mapping) else set()
            known = {f.data_key or name for name, f in schema().load_fields.items()}
            dropped = {key for key in failed if key in _DROPPABLE or key not in known}
            if dropped and dropped == failed:
                try:
                    loaded.append(schema().load({k: v for k, v in item.items() if k not in dropped}))
                except ValidationError:
                    continue
    return loaded


class DraftChecks:
    """What the question and indicator checks share: the draft, its lookups, and the report of problems."""

    def __init__(self, draft: Draft, report: ProblemReport) -> None:
        self.draft = draft
        self.report = report
        self.known_ids = set(draft.question_ids)
        self.by_id: dict[str, Question] = {}
        for question in draft.questions:
            self.by_id.setdefault(question.id, question)
        self.order = {qid: i for i, qid in reversed(list(enumerate(draft.question_ids)))}

    def translations(
        self, location: str, name: str, text: Translated | None, *, choice: str = "", band: str = ""
    ) -> None:
        """Report a text missing one of the document's languages (the label of ``choice`` or ``band``)."""
        if text is None or self.draft.languages is None:
            return
        missing = ", ".join(lang for lang in self.draft.languages if lang not in text)
        if not missing:
            return
        if choice:
            self.report.coded(location, "missing-choice-translation", choice=choice, languages=missing)
        elif band:
            self.report.coded(location, "missing-band-translation", band=band, languages=missing)
        elif name:
            self.report.coded(location, "missing-field-translation", field=name, languages=missing)
        else:
            self.report.coded(location, "missing-translation", languages=missing)
