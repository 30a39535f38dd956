"""Device cookies (OWASP): a browser that signed in before is throttled on its own."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from litestar.datastructures import Cookie

# Long enough that the owner's usual browser keeps it between sign-ins; each success renews it.
LIFETIME = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class DeviceCookies:
    """`<nonce>.<HMAC of name and nonce>`: worthless for another name, unforgeable without the key.

    Failed sign-ins that bring a valid one count against that browser alone, so guesses from
    unknown browsers (or from behind the same proxy) never lock the owner's own browser out.
    """

    key: bytes
    secure: bool
    # The key of the hash an unknown name typed at sign-in is kept as (app/owner/signin.py).
    name_key: bytes = b""

    @classmethod
    def from_secret(cls, secret_key: str, *, secure: bool) -> DeviceCookies:
        key = hmac.new(secret_key.encode(), b"owner-device-cookie", hashlib.sha256).digest()
        names = hmac.new(secret_key.encode(), b"owner-sign-in-names", hashlib.sha256).digest()
        return cls(key, secure, names)

    @property
    def name(self) -> str:
        return "__Secure-owner-device" if self.secure else "owner-device"

    def issue(self, username: str) -> Cookie:
        nonce = secrets.token_urlsafe(16)
        return Cookie(
            key=self.name,
            value=f"{nonce}.{self._sign(username, nonce)}",
            path="/owner/login",
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            secure=self.secure,
            samesite="strict",
        )

    def device(self, value: str | None, username: str) -> str | None:
        """The browser's nonce when its cookie was issued to `username`, else None."""
        nonce, _, signature = (value or "").partition(".")
        if not nonce or len(nonce) > 32 or not signature:
            return None
        return nonce if hmac.compare_digest(signature, self._sign(username, nonce)) else None

    def _sign(self, username: str, nonce: str) -> str:
        message = f"{username}\n{nonce}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()
