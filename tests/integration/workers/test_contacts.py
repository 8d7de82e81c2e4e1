"""Importing a contact list: normalized numbers, problems line by line, all or nothing, no clear text at rest."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from service.contacts import ContactListError, ImportReport, import_contacts
from service.models import Campaign, Contact, ContactStatus, Identity, OptOut
from service.runtime import Runtime
from tests.integration.workers.conftest import make_campaign


def _import(
    runtime: Runtime,
    campaign: Campaign,
    data: bytes | str | io.StringIO,
    channel: str = "sms",
    region: str = "BE",
) -> ImportReport:
    with runtime.transaction() as session:
        return import_contacts(
            session, runtime, session.get_one(Campaign, campaign.id), data, channel, region
        )


def _contacts(runtime: Runtime, campaign: Campaign) -> list[Contact]:
    with runtime.transaction() as session:
        return list(
            session.scalars(select(Contact).where(Contact.campaign_id == campaign.id).order_by(Contact.id))
        )


def test_a_semicolon_file_from_excel_is_imported_with_numbers_normalized_and_names_encrypted(
    runtime: Runtime,
) -> None:
    campaign = make_campaign(runtime)
    data = "\ufeffPhone;Language;Name;Reference\n0470 12 34 56;nl;Anna Peeters;R-1\n+33 6 12 34 56 78;;;\n"
    report = _import(runtime, campaign, data.encode("utf-8"))
    assert report.ok and report.imported == 2
    first, second = _contacts(runtime, campaign)
    assert (first.language, first.reference, first.status) == ("nl", "R-1", ContactStatus.PENDING)
    assert second.language == "fr"  # the campaign's default
    assert runtime.vault.decrypt(first.name_ciphertext or b"") == "Anna Peeters"
    assert (first.timezone, second.timezone) == ("Europe/Brussels", "Europe/Paris")
    with runtime.transaction() as session:
        identity = session.get_one(Identity, first.identity_id)
        assert identity.digest == runtime.vault.digest("sms", "+32470123456")
        assert runtime.vault.decrypt(identity.ciphertext or b"") == "+32470123456"
        stored = session.execute(select(Identity.digest, Identity.ciphertext)).all()
    assert all(b"+32470123456" not in (ciphertext or b"") for _, ciphertext in stored)


def test_every_bad_line_is_reported_and_nothing_is_imported(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    data = (
        "phone,language,name\n"
        "+32470000001,fr,Ok\n"
        "12,fr,Too short\n"
        "+32470000003,de,German\n"
        "0470 00 00 01,nl,Same person\n"
        ",fr,No number\n"
        "+32470000005,fr,Ok," + "x" + "\n"
    )
    report = _import(runtime, campaign, data)
    assert not report.ok and report.imported == 0
    assert [str(problem) for problem in report.problems] == [
        "line 3, phone: not a valid phone number",
        "line 4, language: 'de' is not one of fr, nl, en",
        "line 5, phone: the same phone number as line 2",
        "line 6, phone: missing",
        "line 7: more values than columns",
    ]
    assert all("470" not in str(problem) for problem in report.problems)
    assert _contacts(runtime, campaign) == []
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(Identity.id))) == 0


def test_a_header_without_phone_or_with_unknown_columns_is_refused(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    report = _import(runtime, campaign, "telephone,langue\n+32470000001,fr\n")
    assert [str(p) for p in report.problems] == [
        "line 1: unknown column 'telephone' (the columns are phone, language, name, reference)",
        "line 1: the header has no phone column (phone,language,name,reference)",
    ]
    assert next(str(p) for p in _import(runtime, campaign, b"").problems).startswith(
        "line 1: the file is empty"
    )


def test_uploading_a_longer_file_again_adds_only_the_new_people(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    assert _import(runtime, campaign, "phone\n+32470000001\n+32470000002\n").imported == 2
    report = _import(runtime, campaign, io.StringIO("phone\n0470000002\n+32470000003\n+32470000001\n"))
    assert report.ok and report.imported == 1 and report.already_present == (2, 4)
    assert len(_contacts(runtime, campaign)) == 3


def test_someone_who_opted_out_is_kept_on_the_list_but_marked(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    with runtime.transaction() as session:
        session.add(
            OptOut(
                organization_id=campaign.organization_id,
                channel="sms",
                digest=runtime.vault.digest("sms", "+32470000002"),
                source="keyword",
            )
        )
    report = _import(runtime, campaign, "phone\n+32470000001\n+32470000002\n")
    assert report.imported == 2 and report.opted_out == 1
    assert [c.status for c in _contacts(runtime, campaign)] == [
        ContactStatus.PENDING,
        ContactStatus.OPTED_OUT,
    ]


def test_telegram_contacts_get_a_personal_link_token_and_their_number_is_only_hashed(
    runtime: Runtime,
) -> None:
    campaign = make_campaign(runtime)
    report = _import(
        runtime, campaign, "phone,language\n+32470000001,en\n+32470000002,nl\n", channel="telegram"
    )
    assert report.imported == 2
    contacts = _contacts(runtime, campaign)
    tokens = {contact.link_token for contact in contacts}
    assert len(tokens) == 2 and all(token and len(token) == 32 for token in tokens)
    with runtime.transaction() as session:
        identities = session.scalars(select(Identity)).all()
    assert {identity.channel for identity in identities} == {"phone"}
    assert all(identity.ciphertext is None for identity in identities)


def test_a_channel_the_campaign_does_not_use_is_refused_as_a_whole(runtime: Runtime) -> None:
    campaign = make_campaign(runtime, channels=("web", "sms"))
    with pytest.raises(ContactListError, match="does not use the telegram channel"):
        _import(runtime, campaign, "phone\n+32470000001\n", channel="telegram")


def test_french_numbers_in_national_format_use_the_region_given(runtime: Runtime) -> None:
    campaign = make_campaign(runtime)
    assert _import(runtime, campaign, "phone\n06 12 34 56 78\n", region="FR").ok
    with runtime.transaction() as session:
        digest = session.scalar(select(Identity.digest))
    assert digest == runtime.vault.digest("sms", "+33612345678")
