"""The codec endpoint for the Temporal Web UI and CLI (Temporal's remote codec protocol): `POST /codec/decode` and
`POST /codec/encode` take `{"payloads": [...]}` with payloads in protobuf JSON form (metadata values and data in
base64) and answer the same shape, run through the payload encryption codec (`codec.py`) with the keys of
`COLLECTIONS_ENCRYPTION_KEYS`.

Decoded payloads are debtor data: only the leads (`supervisor`, `manager`, `general_manager`) and `legal` may call
it. The key is sent in
`X-API-Key` or as `Authorization: Bearer <key>` (what the Web UI's "pass access token" and the CLI's `--codec-auth`
send).

The Web UI calls it from the browser, from another origin: these routes (and only these) answer CORS for the
origins of `Settings.codec_cors_origins` (`COLLECTIONS_CODEC_CORS_ORIGINS`, comma-separated, default the dev
server's UI and a standalone UI on 8080), the app's settings on `app.state.settings`.
"""

from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from api.auth import LEADS, LEGAL, Identity, admit, api_key_header, identify
from api.state import AppSettings, get_settings
from codec import ENV, CodecError, EncryptionCodec

# What the Web UI sends: its JSON body, the namespace it shows, and the key (either header).
ALLOWED_HEADERS = "authorization, content-type, x-api-key, x-namespace"


def cors_headers(origin: str | None, allowed: Collection[str]) -> dict[str, str]:
    """The headers that let the browser hand our answer to a page of `origin` if it is one of the `allowed` (the
    settings' `codec_cors_origins`; none for other origins). Credentials are allowed so that the UI's "include
    cross-origin credentials" works too; the origin is never a wildcard."""
    headers = {"Vary": "Origin"}
    if origin and origin in allowed:
        headers |= {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
    return headers


class CorsRoute(APIRoute):
    """Adds the CORS headers to every answer of these routes, refusals included (so the UI shows a 401 or a 403
    rather than an opaque network error); the rest of the API is not for pages of other origins."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            headers = cors_headers(request.headers.get("origin"), get_settings(request).codec_cors_origins)
            try:
                response = await handle(request)
            except HTTPException as error:
                error.headers = {**(error.headers or {}), **headers}
                raise
            response.headers.update(headers)
            return response

        return with_cors


router = APIRouter(prefix="/codec", tags=["codec"], route_class=CorsRoute)
bearer = HTTPBearer(auto_error=False, description="an API key as a bearer token (the Web UI's pass access token)")
READERS = (*LEADS, LEGAL)


async def codec_reader(
    request: Request,
    key: Annotated[str | None, Depends(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Identity:
    """`require(*READERS)`, with the key from either header (same 401 and 403 as every route)."""
    return admit(await identify(request, key or (token.credentials if token else None)), READERS)


Reader = Annotated[Identity, Depends(codec_reader)]


class CodecPayloads(BaseModel):
    """The remote codec protocol's body, both ways."""

    payloads: list[dict[str, Any]] = Field(description="Temporal payloads in protobuf JSON form")


def codec_of(settings: AppSettings) -> EncryptionCodec:
    if settings.encryption_keys is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=f"payload encryption is off: {ENV} is not set")
    try:
        return EncryptionCodec.from_setting(settings.encryption_keys.get_secret_value())
    except ValueError as error:  # the message names the entry, never the key
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, detail=str(error)) from None


Codec = Annotated[EncryptionCodec, Depends(codec_of)]


async def apply(run: Callable[[Sequence[Payload]], Awaitable[list[Payload]]], body: CodecPayloads) -> CodecPayloads:
    payloads = []
    for position, data in enumerate(body.payloads):
        try:
            payloads.append(json_format.ParseDict(data, Payload()))
        except json_format.ParseError as error:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, detail=f"payloads[{position}] is not a Temporal payload: {error}"
            ) from None
    try:
        done = await run(payloads)
    except CodecError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from None
    return CodecPayloads(payloads=[json_format.MessageToDict(payload) for payload in done])


@router.post("/encode", summary="Encrypt payloads (remote codec protocol)")
async def encode(_: Reader, codec: Codec, body: CodecPayloads) -> CodecPayloads:
    return await apply(codec.encode, body)


@router.post("/decode", summary="Decrypt payloads (remote codec protocol)")
async def decode(_: Reader, codec: Codec, body: CodecPayloads) -> CodecPayloads:
    return await apply(codec.decode, body)


@router.options("/encode", include_in_schema=False)
@router.options("/decode", include_in_schema=False)
async def preflight(request: Request, settings: AppSettings) -> Response:
    """The browser asks before its first POST from the UI's origin (no key is sent with this question)."""
    if "Access-Control-Allow-Origin" not in cors_headers(request.headers.get("origin"), settings.codec_cors_origins):
        return Response("origin not allowed", status_code=status.HTTP_400_BAD_REQUEST, media_type="text/plain")
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
        },
    )
