"""Payload encryption (codec.py) and its HTTP endpoint for the Web UI (api/codec.py), without a Temporal server:
the round trip through the project's data converter, rotation, tampering, bad keys; the endpoint's protocol, roles
and CORS. The raw history on a real server is in tests/integration/test_payload_encryption.py."""

import base64
import os
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from codec import ENCODING, KEY_ID, CodecError, EncryptionCodec, data_converter, parse_keys
from domain.events import Debtor
from settings import ConfigError, Settings
from tests.api.conftest import MACHINE_KEYS


def new_key(size: int = 32) -> str:
    return base64.b64encode(os.urandom(size)).decode()


OLD, CURRENT = new_key(), new_key(16)
SETTING = f"k2={CURRENT},k1={OLD}"
DEBTOR = Debtor(
    name="杭州青禾纺织有限公司",
    phone="+8613911112222",
    email="zhao.qinghe@qinghe.example.com",
    timezone="Asia/Shanghai",
    locale="zh-CN",
)
SECRETS = (DEBTOR.name.encode(), DEBTOR.phone.encode(), DEBTOR.email.encode())


async def plain_payloads(*values: object) -> list[Payload]:
    return await pydantic_data_converter.encode(list(values))


async def test_round_trip_through_the_projects_converter() -> None:
    converter = data_converter(SecretStr(SETTING))
    values = [DEBTOR, "a string", 42, None, {"phone": DEBTOR.phone}]

    encoded = await converter.encode(values)
    decoded = await converter.decode(encoded, [Debtor, str, int, type(None), dict])

    assert decoded == values
    assert all(p.metadata["encoding"] == ENCODING and p.metadata[KEY_ID] == b"k2" for p in encoded)


async def test_the_ciphertext_holds_none_of_the_plaintext() -> None:
    plain = await plain_payloads(DEBTOR, DEBTOR.name, DEBTOR.phone, DEBTOR.email)
    assert all(any(secret in p.SerializeToString() for p in plain) for secret in SECRETS)  # the control

    encoded = await EncryptionCodec.from_setting(SETTING).encode(plain)

    wire = b"".join(p.SerializeToString() for p in encoded)
    for secret in SECRETS:
        assert secret not in wire
    assert b"json/plain" not in wire  # the original metadata is sealed too


async def test_a_fresh_nonce_for_every_payload() -> None:
    [payload] = await plain_payloads(DEBTOR)
    codec = EncryptionCodec.from_setting(SETTING)

    first, second = await codec.encode([payload, payload])

    assert first.data[:12] != second.data[:12] and first.data != second.data


async def test_rotation_decodes_payloads_written_with_the_old_key() -> None:
    plain = await plain_payloads(DEBTOR, "before the rotation")
    before = await EncryptionCodec.from_setting(f"k1={OLD}").encode(plain)
    rotated = EncryptionCodec.from_setting(SETTING)  # k2 became current, k1 kept for old histories

    assert await rotated.decode(before) == plain
    [after] = await rotated.encode(plain[:1])
    assert after.metadata[KEY_ID] == b"k2"
    assert await rotated.decode([after, *before]) == [plain[0], *plain]


async def test_unknown_key_id_is_a_clear_error() -> None:
    encoded = await EncryptionCodec.from_setting(f"gone={new_key()}").encode(await plain_payloads(DEBTOR))

    with pytest.raises(CodecError, match="key id 'gone', which is not configured in COLLECTIONS_ENCRYPTION_KEYS"):
        await EncryptionCodec.from_setting(SETTING).decode(encoded)


@pytest.mark.parametrize("where", [0, 11, 12, -1], ids=["nonce", "nonce-end", "ciphertext", "tag"])
async def test_tampered_ciphertext_fails(where: int) -> None:
    codec = EncryptionCodec.from_setting(SETTING)
    [payload] = await codec.encode(await plain_payloads(DEBTOR))
    data = bytearray(payload.data)
    data[where] ^= 0x01
    tampered = Payload(metadata=payload.metadata, data=bytes(data))

    with pytest.raises(CodecError, match="failed authentication"):
        await codec.decode([tampered])


async def test_a_payload_relabelled_with_another_key_id_fails() -> None:
    codec = EncryptionCodec.from_setting(SETTING)
    [payload] = await codec.encode(await plain_payloads(DEBTOR))
    relabelled = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k1"}, data=payload.data)

    with pytest.raises(CodecError, match="key id 'k1' failed authentication"):
        await codec.decode([relabelled])


async def test_unencrypted_payloads_pass_through_decode() -> None:
    codec = EncryptionCodec.from_setting(SETTING)
    plain = await plain_payloads(DEBTOR, "written before encryption")
    [sealed] = await codec.encode(plain[:1])

    decoded = await codec.decode([plain[1], sealed, plain[0]])

    assert decoded == [plain[1], plain[0], plain[0]]


def test_no_keys_leaves_the_pydantic_converter_unchanged() -> None:
    assert data_converter(None) is pydantic_data_converter
    assert data_converter("") is pydantic_data_converter
    assert data_converter(SecretStr(SETTING)).payload_converter_class is pydantic_data_converter.payload_converter_class


def test_the_first_key_is_current_and_padding_survives() -> None:
    keys = parse_keys(f" k2 = {CURRENT} , k1={OLD},")
    assert list(keys) == ["k2", "k1"]
    assert keys["k2"] == base64.b64decode(CURRENT) and len(keys["k2"]) == 16
    assert EncryptionCodec(keys).current == "k2"


SHORT = new_key(20)


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        (" , ", "names no key"),
        ("k1", "entry 1 is not id=base64key"),
        (f"k1={OLD},={CURRENT}", "entry 2 is not id=base64key"),
        ("k1=", "entry 1 is not id=base64key"),
        ("k1=not*base64", "key 'k1' is not valid base64"),
        (f"k1={SHORT}", "key 'k1' is 20 bytes after base64 decoding, not 16, 24 or 32"),
        (f"k1={OLD},k1={CURRENT}", "key id 'k1' appears twice"),
    ],
)
def test_malformed_key_settings_are_clear_errors_without_the_key(setting: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        parse_keys(setting)

    message = str(raised.value)
    assert "COLLECTIONS_ENCRYPTION_KEYS" in message
    for key in (OLD, CURRENT, SHORT, "not*base64"):
        assert key not in message


def test_malformed_keys_stop_the_configuration_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTIONS_ENCRYPTION_KEYS", f"k1={SHORT}")

    with pytest.raises(ConfigError, match=r"COLLECTIONS_ENCRYPTION_KEYS: .*'k1' is 20 bytes") as raised:
        Settings.from_env()
    assert SHORT not in str(raised.value)


# The endpoint for the Web UI.

UI = "http://localhost:8233"


@pytest_asyncio.fixture
async def http(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process, with keys; no lifespan (the codec endpoint needs neither Temporal nor the store)."""
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)  # the development keys
    monkeypatch.delenv("COLLECTIONS_CODEC_CORS_ORIGINS", raising=False)
    app = create_app(Settings(encryption_keys=SecretStr(SETTING)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield client


def as_json(payloads: list[Payload]) -> dict:
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {MACHINE_KEYS[role]}"}


async def test_the_endpoint_decodes_what_it_encoded(http: httpx.AsyncClient) -> None:
    plain = await plain_payloads(DEBTOR, "hello")

    encoded = await http.post("/codec/encode", json=as_json(plain), headers={"X-API-Key": MACHINE_KEYS["supervisor"]})
    assert encoded.status_code == 200, encoded.text
    sealed = [json_format.ParseDict(p, Payload()) for p in encoded.json()["payloads"]]
    assert [(p.metadata["encoding"], p.metadata[KEY_ID]) for p in sealed] == [(ENCODING, b"k2")] * 2
    assert DEBTOR.phone not in encoded.text

    decoded = await http.post("/codec/decode", json=encoded.json(), headers=bearer("legal"))
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == as_json(plain)
    # And the SDK's codec reads what the endpoint sealed: one format on both sides.
    assert await EncryptionCodec.from_setting(SETTING).decode(sealed) == plain


async def test_the_endpoint_refuses_missing_unknown_and_ops_keys(http: httpx.AsyncClient) -> None:
    body = as_json(await plain_payloads("x"))
    for path in ("/codec/encode", "/codec/decode"):
        for headers, expected in [
            ({}, 401),
            ({"X-API-Key": "not-a-key"}, 401),
            ({"Authorization": "Bearer not-a-key"}, 401),
            ({"Authorization": MACHINE_KEYS["supervisor"]}, 401),  # not a bearer token
            ({"X-API-Key": MACHINE_KEYS["ops"]}, 403),
            (bearer("ops"), 403),
        ]:
            response = await http.post(path, json=body, headers=headers)
            assert response.status_code == expected, (path, headers, response.text)
            assert DEBTOR.phone not in response.text


async def test_the_endpoint_answers_the_ui_across_origins(http: httpx.AsyncClient) -> None:
    preflight = await http.options(
        "/codec/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == UI
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-namespace", "x-api-key"} <= allowed

    body = as_json(await plain_payloads("x"))
    answer = await http.post("/codec/decode", json=body, headers=bearer("supervisor") | {"Origin": UI})
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == UI
    refused = await http.post("/codec/decode", json=body, headers={"Origin": UI})  # readable by the UI too
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == UI


async def test_other_origins_get_no_cors_answer(http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    ask = {"Access-Control-Request-Method": "POST"}
    other = await http.options("/codec/decode", headers={"Origin": "http://evil.example"} | ask)
    assert other.status_code == 400 and "Access-Control-Allow-Origin" not in other.headers
    answer = await http.post("/codec/decode", json={"payloads": []}, headers=bearer("legal") | {"Origin": UI[:-1]})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers

    # The origins are the settings' (read at start, as every variable): an app built with the variable set.
    monkeypatch.setenv("COLLECTIONS_CODEC_CORS_ORIGINS", "https://temporal.example.com/, http://localhost:9000")
    app = create_app(Settings.from_env())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as other_app:
        configured = await other_app.options("/codec/encode", headers={"Origin": "https://temporal.example.com"} | ask)
        assert configured.status_code == 204
        assert configured.headers["Access-Control-Allow-Origin"] == "https://temporal.example.com"
        default = await other_app.options("/codec/encode", headers={"Origin": UI} | ask)
        assert default.status_code == 400  # the defaults are replaced, not extended
        refused = await other_app.post("/codec/decode", json={}, headers={"Origin": "http://localhost:9000"})
        assert refused.status_code == 401  # refused before any route (api/limits.py), with the same CORS answer
        assert refused.headers["Access-Control-Allow-Origin"] == "http://localhost:9000"


async def test_the_endpoint_reports_codec_errors(http: httpx.AsyncClient) -> None:
    foreign = await EncryptionCodec.from_setting(f"gone={new_key()}").encode(await plain_payloads(DEBTOR))
    unknown = await http.post("/codec/decode", json=as_json(foreign), headers=bearer("supervisor"))
    assert unknown.status_code == 400
    assert "key id 'gone'" in unknown.json()["detail"]

    garbage = await http.post("/codec/decode", json={"payloads": [{"data": 7}]}, headers=bearer("supervisor"))
    assert garbage.status_code == 400 and "payloads[0]" in garbage.json()["detail"]

    empty = await http.post("/codec/decode", json={"payloads": []}, headers=bearer("supervisor"))
    assert empty.status_code == 200 and empty.json() == {"payloads": []}


async def test_the_endpoint_says_when_encryption_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)
    monkeypatch.delenv("COLLECTIONS_ENCRYPTION_KEYS", raising=False)
    app = create_app(Settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        response = await client.post("/codec/decode", json={"payloads": []}, headers=bearer("supervisor"))
        anonymous = await client.post("/codec/decode", json={"payloads": []})

    assert response.status_code == 503
    assert response.json() == {"detail": "payload encryption is off: COLLECTIONS_ENCRYPTION_KEYS is not set"}
    assert anonymous.status_code == 401  # the key is checked first: no hint about the setup without one
