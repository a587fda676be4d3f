"""Schemathesis hooks for the contract tests: a real session from the auth service.

CONTRACT_AUTH_URL    base URL of the auth service (http://127.0.0.1:<port>)
CONTRACT_ROLE        user | admin (admin: the email registered is in the service's AUTH_ADMIN_EMAILS)
CONTRACT_ADMIN_EMAIL the admin's email (registered again after the fuzzer deletes the account)
CONTRACT_PASSWORD    the session account's password (the admin account outlives one run)
CONTRACT_CLIENT_IP_PREFIX  two octets; the session's own requests come from random addresses under it
                     (X-Forwarded-For), so its sign-ins never share a rate-limit bucket with the fuzzer's
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request

import schemathesis

AUTH_URL = os.environ["CONTRACT_AUTH_URL"].rstrip("/")
ROLE = os.environ.get("CONTRACT_ROLE", "user")
ADMIN_EMAIL = os.environ.get("CONTRACT_ADMIN_EMAIL", "")
CLIENT_IP_PREFIX = os.environ.get("CONTRACT_CLIENT_IP_PREFIX", "10.77")
PASSWORD = os.environ.get("CONTRACT_PASSWORD") or "contract-password-" + secrets.token_hex(8)


def _post(path: str, body: dict, client_ip: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        AUTH_URL + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", "x-forwarded-for": client_ip},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _client_ip() -> str:
    """A fresh address per sign-in: the session's own requests never share a rate-limit bucket."""
    return f"{CLIENT_IP_PREFIX}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


class _Session:
    """One account and its access token; a new token (refresh, else sign-in) once the fuzzer ends it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh: str | None = None
        self._email = ADMIN_EMAIL if ROLE == "admin" else f"contract-{secrets.token_hex(6)}@example.com"

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._acquire()
            return self._token

    def invalidate(self, token: str | None) -> None:
        with self._lock:
            if token is None or token == self._token:
                self._token = None

    def _acquire(self) -> str:
        status, body = (0, {})
        if self._refresh:  # after a logout: the session's refresh token still works (unless the fuzzer revoked it)
            status, body = _post("/auth/refresh", {"refreshToken": self._refresh}, _client_ip())
        if status != 200:  # first time, or the account was deleted: register (again)
            status, body = _post(
                "/auth/register", {"email": self._email, "password": PASSWORD, "displayName": f"Contract {ROLE}"}, _client_ip()
            )
        if status == 409:  # the account exists and its session was revoked: log in
            status, body = _post("/auth/login", {"email": self._email, "password": PASSWORD}, _client_ip())
        if status not in (200, 201):
            raise RuntimeError(f"could not get a {ROLE} session: {status} {body}")
        if ROLE == "admin" and "admin" not in body["user"]["roles"]:
            raise RuntimeError(f"{self._email} did not get the admin role: is it in AUTH_ADMIN_EMAILS?")
        self._refresh = body["refreshToken"]
        return body["accessToken"]


SESSION = _Session()

# Writes answer `x-consistency-token`; a client that wants to read its own write presents it (reads
# may go to a replica that has not replayed the write yet). Presented for a few seconds after the
# write, like a client would, so the cached read path is fuzzed too.
CONSISTENCY_HEADER = "x-consistency-token"
CONSISTENCY_WINDOW_S = 5.0
_consistency: dict[str, tuple[str, float]] = {}


@schemathesis.auth()
class Bearer:
    def get(self, case, ctx):
        return SESSION.token()

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
        token = _consistency.get("latest")
        if token and time.monotonic() - token[1] < CONSISTENCY_WINDOW_S:
            case.headers.setdefault(CONSISTENCY_HEADER, token[0])


@schemathesis.hook
def after_call(context, case, response):
    """The fuzzer may end its own session (logout, account deletion): the next case gets a new one."""
    path = case.operation.path
    method = case.operation.method.upper()
    ended = (method, path) in {("POST", "/auth/logout"), ("DELETE", "/auth/me")} and 200 <= response.status_code < 300
    if ended:
        header = (case.headers or {}).get("Authorization", "")
        SESSION.invalidate(header[len("Bearer ") :] if header.startswith("Bearer ") else None)
    token = response.headers.get(CONSISTENCY_HEADER)
    if token:
        _consistency["latest"] = (token[0] if isinstance(token, list) else token, time.monotonic())


# The product list's `cursor` is opaque: the schema can say which characters it has, not that it must be
# a `nextCursor` the server made for the same `sort` (base64url of [createdAt, id] newest first, of
# [sort, priceCents, id] by price); any other one is answered 400 on purpose. A schema-valid cursor is
# therefore replaced by a real-looking one of the case's order derived from it, so valid cases stay valid
# and still walk the keyset path; cursors that break the schema are left to the negative cases.
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@schemathesis.hook
def map_case(context, case):
    if case.operation.method.upper() == "GET" and case.operation.path == "/catalog/products":
        cursor = (case.query or {}).get("cursor")
        if isinstance(cursor, str) and _CURSOR.match(cursor):
            digest = hashlib.sha256(cursor.encode()).hexdigest()
            uuid = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
            sort = case.query.get("sort", "newest")
            position = ["2030-01-01T00:00:00.000Z", uuid] if sort == "newest" else [sort, int(digest[32:38], 16), uuid]
            real = json.dumps(position, separators=(",", ":")).encode()
            case.query = {**case.query, "cursor": base64.urlsafe_b64encode(real).decode().rstrip("=")}
    return case
