"""Flask-free rules behind the staff pages: the channel preview, upload checks, API cursors and tokens."""

from __future__ import annotations

import pytest

from questionnaires.loader import load_shipped, load_text
from service.api_tokens import TOKEN_PREFIX, digest
from service.campaign_preview import language_preview
from service.questionnaire_uploads import check_upload
from service.responses import CursorError, decode_cursor, encode_cursor

ACCENTED = """\
id: accents
version: 1
title: {fr: "Été", en: "Summer"}
languages: [fr, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "D'accord ?", en: "Agreed?"}
questions:
  - id: q1
    type: yes_no
    text: {fr: "Êtes-vous allé à la fête ?", en: "Did you go to the party?"}
"""


def test_an_accent_outside_gsm7_makes_the_sms_ucs2_unless_transliterated() -> None:
    questionnaire = load_text(ACCENTED)
    plain = {item.item_id: item.sms for item in language_preview(questionnaire, "fr", "Atelier").items}
    assert plain["q1"].encoding == "UCS-2" and "Ê" in plain["q1"].non_gsm
    assert plain["q1"].text.startswith("Êtes-vous allé à la fête ? 1 Oui 2 Non")
    simple = {
        item.item_id: item.sms
        for item in language_preview(questionnaire, "fr", "Atelier", transliterated=True).items
    }
    assert simple["q1"].encoding == "GSM-7" and simple["q1"].text.startswith("Etes-vous allé")
    english = {item.item_id: item.sms for item in language_preview(questionnaire, "en", "Atelier").items}
    assert english["q1"].encoding == "GSM-7"


def test_the_preview_fills_the_organization_and_offers_buttons() -> None:
    preview = language_preview(load_shipped("beneficiaries"), "nl", "Atelier Namur")
    items = {item.item_id: item for item in preview.items}
    assert [item.kind for item in preview.items][:2] == ["intro", "consent"] and preview.items[
        -1
    ].kind == "thanks"
    assert "Atelier Namur" in items["A1"].sms.text and "{org}" not in items["A1"].sms.text
    assert items["A1"].telegram_buttons[0] == "Sterk verbeterd"
    recommend = items["A5"]
    assert recommend.kind == "scale" and recommend.telegram_buttons == tuple(str(n) for n in range(11))
    assert preview.sms_segments == sum(item.sms.segments for item in preview.items)
    assert preview.sms_messages == len(preview.items)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("form.json", b"{}", "must be a .yaml or .yml definition, or an XLSForm (.xlsx or .xls)"),
        ("form.yaml", b"", "is empty"),
        ("form.yaml", b"\xff\xfe", "is not UTF-8 text"),
        ("form.xlsx", b"PK not really", "pyxform could not read the form"),
    ],
)
def test_unusable_uploads_are_reported_not_raised(name: str, data: bytes, message: str) -> None:
    check = check_upload(name, data)
    assert not check.ok and check.questionnaire is None
    assert any(message in problem.message for problem in check.errors)


def test_a_good_upload_gives_its_questionnaire_and_warnings() -> None:
    check = check_upload("accents.yml", ACCENTED.encode())
    assert check.ok and check.questionnaire is not None and check.questionnaire.id == "accents"
    assert any("UCS-2" in warning.message for warning in check.warnings)


def test_cursors_round_trip_and_reject_forgeries() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    for forged in ("", "abc", "Yzk5eA", "!!!"):
        with pytest.raises(CursorError):
            decode_cursor(forged)


def test_tokens_are_stored_as_their_sha256() -> None:
    assert len(digest(TOKEN_PREFIX + "x")) == 64 and digest("a") != digest("b")
