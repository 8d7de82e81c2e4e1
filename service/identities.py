"""Contact identities at rest: a keyed hash to recognise a person, encryption only to reach them again.

Phone numbers and Telegram chat ids are never stored in clear. ``digest`` is an
HMAC-SHA256 under a key derived from ``DATA_KEY`` (equal inputs give equal
digests, so an inbound message finds its respondent); ``encrypt`` uses Fernet
(AES-128-CBC + HMAC, authenticated) under another derived key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class IdentityDecryptError(Exception):
    """A ciphertext no configured key can open."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"vises-identities", info=purpose).derive(
        secret.encode()
    )


class IdentityVault:
    """Hashes and encrypts identities with keys derived from ``DATA_KEY``.

    ``previous_keys`` are older data keys still accepted for decryption while
    ``vises keys rotate`` re-encrypts; hashing always uses ``hash_key_source``
    (by default the data key) so that digests stay stable across encryption-key
    rotations.
    """

    def __init__(
        self, data_key: str, previous_keys: Sequence[str] = (), hash_key_source: str | None = None
    ) -> None:
        self._hash_key = _derive(hash_key_source or data_key, b"digest")
        keys = [data_key, *previous_keys]
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(_derive(k, b"encryption"))) for k in keys]
        )

    def digest(self, channel: str, address: str) -> str:
        return hmac.new(self._hash_key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise IdentityDecryptError(
                "identity ciphertext cannot be decrypted with the configured keys"
            ) from exc

    def reencrypt(self, token: bytes) -> bytes:
        """The same value encrypted under the current key (for key rotation)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise IdentityDecryptError(
                "identity ciphertext cannot be decrypted with the configured keys"
            ) from exc
