"""API tokens: created with a scope, shown once, kept only as a SHA-256 digest, revocable.

A token is 32 random bytes (``cw_`` and 43 URL-safe characters): a fast digest is enough to
keep it (there is nothing to guess), and a lookup by digest never compares secrets by hand.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, insert, select, update

from clearweights.errors import UsageError
from clearweights.store import now
from clearweights.store.models import TokenRow

PREFIX = "cw_"


class Scope(StrEnum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"
    SUBMIT = "submit"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        """Whether this scope covers *needed*."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listings show it (never the secret)."""

    id: int
    name: str
    scope: Scope
    prefix: str
    created_at: str
    revoked_at: str | None
    last_used_at: str | None

    @property
    def active(self) -> bool:
        """Whether the token still works."""
        return self.revoked_at is None


def digest(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: Any) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.name,
        Scope(row.scope),
        row.prefix,
        row.created_at,
        row.revoked_at,
        row.last_used_at,
    )


def create_token(engine: Engine, name: str, scope: Scope) -> tuple[TokenInfo, str]:
    """A new token: its listing and the secret, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name or len(name) > 128:
        raise UsageError("a token needs a name of 1 to 128 characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    values = {
        "name": name,
        "scope": scope.value,
        "token_hash": digest(secret),
        "prefix": secret[: len(PREFIX) + 6],
        "created_at": now(),
    }
    with engine.begin() as connection:
        token = connection.execute(insert(TokenRow).returning(TokenRow.id), values).scalar_one()
        row = connection.execute(select(TokenRow.__table__).where(TokenRow.id == token)).one()
        return _info(row), secret


def list_tokens(engine: Engine) -> tuple[TokenInfo, ...]:
    """Every token, oldest first, revoked ones included."""
    with engine.connect() as connection:
        rows = connection.execute(select(TokenRow.__table__).order_by(TokenRow.id))
        return tuple(_info(r) for r in rows)


def revoke_token(engine: Engine, token: int) -> TokenInfo:
    """Revoke a token by id; revoking twice keeps the first time."""
    with engine.begin() as connection:
        row = connection.execute(select(TokenRow.__table__).where(TokenRow.id == token)).first()
        if row is None:
            raise UsageError(
                f"no token with id {token}", hint="see `clearweights serve token list`"
            )
        if row.revoked_at is None:
            connection.execute(
                update(TokenRow).where(TokenRow.id == token).values(revoked_at=now())
            )
        row = connection.execute(select(TokenRow.__table__).where(TokenRow.id == token)).one()
        return _info(row)


def authenticate(engine: Engine, secret: str) -> TokenInfo | None:
    """The active token *secret* names, or None (unknown, malformed or revoked)."""
    if not secret.startswith(PREFIX) or len(secret) > 128:
        return None
    with engine.begin() as connection:
        row = connection.execute(
            select(TokenRow.__table__).where(TokenRow.token_hash == digest(secret))
        ).first()
        if row is None or row.revoked_at is not None:
            return None
        stamp = now()
        if row.last_used_at != stamp:
            connection.execute(
                update(TokenRow).where(TokenRow.id == row.id).values(last_used_at=stamp)
            )
        return _info(row)
