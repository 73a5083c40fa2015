"""Payload encryption: debtor names, phones and emails travel in workflow histories, so every payload a client or
worker of this project writes is sealed with AES-GCM before it leaves the process.

Keys come from `COLLECTIONS_ENCRYPTION_KEYS` as `id=base64key,id2=base64key2`. The first is the current key:
payloads are encrypted with it and carry its id in their metadata, and decoding picks the key their metadata names,
so a key can rotate (put the new one first, keep the old ones while histories written with them are still read).
Payloads not marked encrypted pass through decoding unchanged: histories written before encryption was turned on
stay readable. The format is the one of Temporal's encryption samples (12-byte nonce + ciphertext and tag, the
serialized original payload as plaintext), so their codec servers in other languages can read it too.
"""

import base64
import binascii
import dataclasses
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENV = "COLLECTIONS_ENCRYPTION_KEYS"
ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = (16, 24, 32)  # AES-128, AES-192, AES-256


class CodecError(ValueError):
    """A payload cannot be decrypted: a key id we do not hold, or ciphertext that fails authentication."""


def parse_keys(text: str) -> dict[str, bytes]:
    """`id=base64key,...` to {id: key}, the current key first. Raises ValueError naming the entry and the problem,
    never the key itself."""
    keys: dict[str, bytes] = {}
    for position, entry in enumerate((part.strip() for part in text.split(",")), start=1):
        if not entry:
            continue
        # partition, not split: base64 padding is made of "=".
        key_id, equals, encoded = (part.strip() for part in entry.partition("="))
        if not (equals and key_id and encoded):
            raise ValueError(f"{ENV}: entry {position} is not id=base64key")
        if key_id in keys:
            raise ValueError(f"{ENV}: key id {key_id!r} appears twice")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError(f"{ENV}: key {key_id!r} is not valid base64") from None
        if len(key) not in KEY_BYTES:
            raise ValueError(f"{ENV}: key {key_id!r} is {len(key)} bytes after base64 decoding, not 16, 24 or 32")
        keys[key_id] = key
    if not keys:
        raise ValueError(f"{ENV} is set but names no key")
    return keys


class EncryptionCodec(PayloadCodec):
    """AES-GCM over whole payloads: encodes with the current key, decodes with the key each payload names."""

    def __init__(self, keys: Mapping[str, bytes], current: str | None = None) -> None:
        if not keys:
            raise ValueError("no encryption keys")
        self.current = current if current is not None else next(iter(keys))
        if self.current not in keys:
            raise ValueError(f"the current key id {self.current!r} is not among the keys")
        self.ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    @classmethod
    def from_setting(cls, text: str) -> "EncryptionCodec":
        return cls(parse_keys(text))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self.ciphers[self.current]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)  # fresh for every payload: a repeated nonce breaks GCM
            sealed = nonce + cipher.encrypt(nonce, payload.SerializeToString(), None)
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: self.current.encode()}, data=sealed))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode(payload) for payload in payloads]

    def _decode(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on, or by a client without the codec
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            known = ", ".join(repr(known) for known in self.ciphers)
            raise CodecError(f"payload encrypted with key id {key_id!r}, which is not configured in {ENV} ({known})")
        try:
            plaintext = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        except (InvalidTag, ValueError):
            raise CodecError(f"payload encrypted with key id {key_id!r} failed authentication (altered?)") from None
        return Payload.FromString(plaintext)


def data_converter(encryption_keys: SecretStr | str | None) -> DataConverter:
    """The project's data converter: pydantic, with the encryption codec when keys are configured."""
    text = encryption_keys.get_secret_value() if isinstance(encryption_keys, SecretStr) else encryption_keys
    if not text:
        return pydantic_data_converter
    # Failure messages and stack traces are not payloads: encode them too (an SMTP refusal quotes the address).
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec.from_setting(text),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
