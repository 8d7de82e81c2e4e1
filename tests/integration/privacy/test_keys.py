"""``vises keys rotate``: old ciphertexts stay readable, get re-encrypted in batches while the service runs,
digests don't move, a second run changes nothing, and a missing or wrong digest key stops everything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from service.campaigns import campaign_by_code
from service.contacts import import_contacts
from service.identities import IdentityDecryptError, IdentityVault
from service.models import AuditEvent, Contact, Identity, utcnow
from service.privacy.keys import key_version, rotate_keys
from service.runtime import Runtime, build_runtime
from service.settings import ConfigError, Settings
from tests.conftest import TEST_DATA_KEY
from tests.integration.privacy.support import Setting, Texter, atelier
from tests.support.log_scan import personal

__all__ = ["atelier"]

NEW_KEY = "new-data-key-for-the-rotation-0123"
NUMBERS = ("+32470551101", "+32470551102", "+32470551103")
NAMES = ("Mireille Vandevelde", "Koen Vermeulen")
ROTATED = {
    "DATA_KEY": NEW_KEY,
    "VISES_PREVIOUS_DATA_KEYS": TEST_DATA_KEY,
    "VISES_DIGEST_KEY": TEST_DATA_KEY,
}


@pytest.fixture
def people(runtime: Runtime, atelier: Setting) -> None:
    """Three people known under the test's original key: two invited with their name, one by keyword."""
    personal(*NUMBERS, *NAMES)
    with runtime.transaction() as session:
        campaign = campaign_by_code(session, atelier.campaign.code)
        assert campaign is not None
        rows = [
            {"phone": number, "language": "fr", "name": name}
            for number, name in zip(NUMBERS, NAMES, strict=False)
        ]
        import_contacts(session, runtime, campaign, rows, "sms", "BE")
    Texter(runtime, NUMBERS[2]).send("AVIS")


@pytest.fixture
def rotated(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Runtime]:
    """The service restarted with a new DATA_KEY, the old one still decrypting and pinned for digests."""
    runtime = build_runtime(make_settings(DATABASE_URL=database_url, **ROTATED))
    yield runtime
    runtime.dispose()


def _ciphertexts(runtime: Runtime) -> list[bytes]:
    with runtime.transaction() as session:
        identities = [token for token in session.scalars(select(Identity.ciphertext)) if token]
        names = [token for token in session.scalars(select(Contact.name_ciphertext)) if token]
    return identities + names


def test_rotation_reencrypts_everything_in_batches_keeps_digests_and_is_safe_to_run_again(
    people: None, runtime: Runtime, rotated: Runtime, cli: Callable[..., Any]
) -> None:
    with runtime.transaction() as session:
        digests = dict(session.execute(select(Identity.id, Identity.digest)).all())
    new_only = IdentityVault(NEW_KEY)
    assert len(_ciphertexts(rotated)) == 5
    for token in _ciphertexts(rotated):
        rotated.vault.decrypt(token)  # old ciphertexts open with the previous key
        with pytest.raises(IdentityDecryptError):
            new_only.decrypt(token)
    consented = Texter(rotated, NUMBERS[2]).send("oui")
    assert consented.outgoing.prompt is not None and consented.outgoing.prompt.question_id == "A1", (
        "the person is recognised by their digest: their conversation goes on"
    )

    before = cli("keys", "status", env=ROTATED)
    assert before.exit_code == 1
    assert "identities: 0 current, 3 under an older key" in before.output

    result = cli("keys", "rotate", "--batch-size", "2", env=ROTATED)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 3 identities and 2 contact names" in result.output
    assert result.output.count("seen") >= 4, "two rows a batch: several batches, each committed on its own"
    assert sorted(new_only.decrypt(token) for token in _ciphertexts(rotated)) == sorted((*NUMBERS, *NAMES))
    with rotated.transaction() as session:
        assert dict(session.execute(select(Identity.id, Identity.digest)).all()) == digests
        assert set(session.scalars(select(Identity.key_version))) == {key_version(NEW_KEY)}
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "key_rotation")).one()
        assert event.details == {"reencrypted": 5} and event.user_id is None
        assert NEW_KEY not in str(event.target_id) and TEST_DATA_KEY not in str(event.target_id)

    again = cli("keys", "rotate", env=ROTATED)
    assert (
        "re-encrypted 0 identities and 0 contact names; 5 were already under the current key" in again.output
    )
    after = cli("keys", "status", env=ROTATED)
    assert after.exit_code == 0 and "done: older keys can be removed" in after.output
    without_old_key = cli("keys", "status", env={"DATA_KEY": NEW_KEY, "VISES_DIGEST_KEY": TEST_DATA_KEY})
    assert without_old_key.exit_code == 0, "nothing needs the old key any more"


def test_the_service_keeps_working_between_batches(people: None, rotated: Runtime) -> None:
    newcomer = "+32470551199"
    personal(newcomer)

    def meanwhile(_report: object) -> None:
        Texter(rotated, newcomer).send("AVIS")
        Texter(rotated, NUMBERS[2]).send("1")

    report = rotate_keys(rotated.sessions, rotated.settings, batch_size=1, now=utcnow(), progress=meanwhile)
    assert report.batches >= 6
    new_only = IdentityVault(NEW_KEY)
    assert newcomer in {new_only.decrypt(token) for token in _ciphertexts(rotated)}


def test_a_previous_key_without_a_pinned_digest_key_stops_start_up(
    make_settings: Callable[..., Settings], database_url: str, cli: Callable[..., Any]
) -> None:
    settings = make_settings(
        DATABASE_URL=database_url, DATA_KEY=NEW_KEY, VISES_PREVIOUS_DATA_KEYS=TEST_DATA_KEY
    )
    with pytest.raises(ConfigError, match="VISES_DIGEST_KEY"):
        build_runtime(settings)
    result = cli("keys", "status", env={"DATA_KEY": NEW_KEY, "VISES_PREVIOUS_DATA_KEYS": TEST_DATA_KEY})
    assert result.exit_code == 1 and "configuration error: VISES_DIGEST_KEY" in result.output


def test_a_wrong_digest_key_or_a_missing_old_key_is_refused_before_anything_changes(
    people: None, runtime: Runtime, cli: Callable[..., Any]
) -> None:
    before = _ciphertexts(runtime)
    wrong = cli("keys", "rotate", env={**ROTATED, "VISES_DIGEST_KEY": NEW_KEY})
    assert wrong.exit_code == 1 and "stored digests were made with another key" in wrong.output
    assert _ciphertexts(runtime) == before
    lost = cli("keys", "rotate", env={"DATA_KEY": NEW_KEY, "VISES_DIGEST_KEY": TEST_DATA_KEY})
    assert lost.exit_code == 1 and "5 ciphertexts open with no configured key" in lost.output
    assert _ciphertexts(runtime) == before
