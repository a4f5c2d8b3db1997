"""Keyed hashing and encryption of personal data.

Natural persons' identifiers are never stored in clear: a keyed hash (HMAC-SHA256)
serves exact lookup, and an AES-GCM ciphertext keeps the value for the few staff
who may read it (each read audited by the caller). Both keys are derived from
``Settings.data_key`` with HKDF, so one secret is kept in the secrets store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from xinyong.config import Settings
from xinyong.errors import ConfigurationError

_VERSION = "v1"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"xinyong", info=purpose).derive(
        secret.encode()
    )


@dataclass(frozen=True)
class DataVault:
    """Hashes and seals personal values with keys derived from the settings."""

    hash_key: bytes
    enc_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> DataVault:
        return cls(
            hash_key=_derive(settings.data_key, b"lookup-hash"),
            enc_key=_derive(settings.data_key, b"encryption"),
        )

    def lookup_hash(self, scheme: str, value: str) -> str:
        """Deterministic keyed hash of an identifier, for equality lookups."""
        msg = f"{scheme}:{value}".encode()
        return hmac.new(self.hash_key, msg, hashlib.sha256).hexdigest()

    def seal(self, value: str) -> str:
        nonce = os.urandom(12)
        ct = AESGCM(self.enc_key).encrypt(nonce, value.encode(), _VERSION.encode())
        return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + ct).decode()

    def seal_bytes(self, data: bytes) -> bytes:
        """``data`` encrypted (AES-GCM, fresh nonce): files that hold personal data, such
        as identity documents filed with a case."""
        nonce = os.urandom(12)
        return _VERSION.encode() + nonce + AESGCM(self.enc_key).encrypt(nonce, data, b"file")

    def unseal_bytes(self, sealed: bytes) -> bytes:
        version, nonce, body = sealed[:2], sealed[2:14], sealed[14:]
        if version != _VERSION.encode():
            raise ConfigurationError(
                "无法解密：密钥版本不符", f"unknown sealed version {version!r}"
            )
        try:
            return AESGCM(self.enc_key).decrypt(nonce, body, b"file")
        except InvalidTag as exc:
            raise ConfigurationError(
                "无法解密附件：数据密钥与加密时不同",
                "cannot decrypt a file: XINYONG_DATA_KEY differs from the one used to seal it",
            ) from exc

    def unseal(self, token: str) -> str:
        version, _, body = token.partition(":")
        if version != _VERSION:
            raise ConfigurationError("无法解密：密钥版本不符", f"unknown sealed version {version}")
        raw = base64.urlsafe_b64decode(body)
        try:
            return AESGCM(self.enc_key).decrypt(raw[:12], raw[12:], version.encode()).decode()
        except InvalidTag as exc:
            raise ConfigurationError(
                "无法解密个人信息：数据密钥与加密时不同",
                "cannot decrypt personal data: XINYONG_DATA_KEY differs from the one "
                "used to seal it",
            ) from exc
