"""Access replies on a channel: short messages, cut between answers, never mid-answer, and capped on SMS."""

from __future__ import annotations

from datetime import UTC, datetime

from questionnaires.messages import message
from service.privacy.access import TEXT_LIMITS, AnswerItem, ConversationItem, PersonalData, channel_texts

WHEN = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _held(answers: int, text: str = "Oui") -> PersonalData:
    items = tuple(
        AnswerItem(
            f"q{n}",
            f"Question numéro {n} : comment allez-vous depuis votre arrivée chez nous ?",
            f"{text} {n}",
            False,
            WHEN,
        )
        for n in range(answers)
    )
    conversation = ConversationItem(
        "K7RMXP2Q", "Votre avis sur Atelier", "sms", "fr", "completed", WHEN, WHEN, ("1", True, WHEN), items
    )
    return PersonalData("Atelier", (), (), (conversation,), ())


def test_a_few_answers_fit_one_message_with_the_header_and_the_footer() -> None:
    (text,) = channel_texts([_held(3)], "fr", "sms")
    lines = text.splitlines()
    assert lines[0] == message("privacy.access_header", "fr", org="Atelier")
    assert lines[1] == "Votre avis sur Atelier (2026-03-14)"
    assert lines[2] == "- Question numéro 0 : comment allez-vous depuis votre arriv...: Oui 0", (
        "60 characters of question"
    )
    assert lines[-1] == message("privacy.access_footer", "fr")


def test_long_content_is_cut_between_answers_and_capped_on_sms() -> None:
    texts = channel_texts([_held(60)], "fr", "sms")
    assert all(len(text) <= TEXT_LIMITS["sms"] for text in texts)
    assert len(texts) == 6
    assert texts[-1] == message("privacy.access_more", "fr", org="Atelier")
    for text in texts[:-1]:
        for line in text.splitlines()[1:]:
            assert line.startswith("- ") or line.startswith("Votre avis"), line


def test_telegram_takes_longer_messages_and_keeps_whole_questions() -> None:
    texts = channel_texts([_held(60)], "nl", "telegram")
    assert len(texts) == 2 and all(len(text) <= TEXT_LIMITS["telegram"] for text in texts)
    assert "Question numéro 59 : comment allez-vous depuis votre arrivée chez nous ?: Oui 59" in texts[-1]
    assert texts[0].startswith(message("privacy.access_header", "nl", org="Atelier"))


def test_a_free_text_longer_than_a_message_is_cut_at_spaces() -> None:
    long_answer = " ".join(["voisinage"] * 150)
    texts = channel_texts([_held(1, long_answer)], "fr", "sms")
    assert all(len(text) <= TEXT_LIMITS["sms"] for text in texts)
    assert "".join(texts).count("voisinage") == 150
