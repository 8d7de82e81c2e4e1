import pytest

from service.identities import IdentityDecryptError, IdentityVault
from service.phones import InvalidPhoneNumber, masked, normalize_phone


def test_digest_is_stable_keyed_and_channel_specific() -> None:
    vault = IdentityVault("k" * 32)
    assert vault.digest("sms", "+32470000001") == IdentityVault("k" * 32).digest("sms", "+32470000001")
    assert vault.digest("sms", "+32470000001") != IdentityVault("x" * 32).digest("sms", "+32470000001")
    assert vault.digest("sms", "+32470000001") != vault.digest("whatsapp", "+32470000001")
    assert "32470000001" not in vault.digest("sms", "+32470000001")


def test_encryption_round_trips_and_rotation_keeps_old_ciphertexts_readable() -> None:
    old = IdentityVault("old-key" * 4)
    token = old.encrypt("+32470000001")
    assert b"32470000001" not in token
    rotated = IdentityVault("new-key" * 4, previous_keys=["old-key" * 4], hash_key_source="old-key" * 4)
    assert rotated.decrypt(token) == "+32470000001"
    fresh = rotated.reencrypt(token)
    assert IdentityVault("new-key" * 4).decrypt(fresh) == "+32470000001"
    assert rotated.digest("sms", "+1") == old.digest("sms", "+1")
    with pytest.raises(IdentityDecryptError):
        IdentityVault("other-key" * 4).decrypt(token)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0470 12 34 56", "BE", "+32470123456"),
        ("+32 470/12.34.56", "FR", "+32470123456"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("whatsapp:+33612345678", "BE", "+33612345678"),
        ("0032470123456", "BE", "+32470123456"),
    ],
)
def test_phone_numbers_are_normalized_to_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "hello", "0470", "+99 123"])
def test_invalid_numbers_are_rejected_without_echoing_them(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as info:
        normalize_phone(raw, "BE")
    assert raw not in str(info.value) or raw == ""


def test_masked_shows_only_country_and_last_digits() -> None:
    assert masked("+32470123456") == "+32•••••••56"
