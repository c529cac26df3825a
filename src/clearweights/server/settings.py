"""The server's settings: where the store is, who may read, and the limits on what is sent."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from clearweights.errors import UsageError

ENV = "CLEARWEIGHTS_SERVER_SETTINGS"
MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything `clearweights serve` can be told; the defaults suit a team's registry.

    Attributes:
        store: the result store, a path (SQLite) or a database URL.
        require_read_token: reads need a token too (any scope) when set.
        max_body_bytes: the largest request body accepted (archives included).
        max_json_bytes: the largest JSON body (a posted audit document).
        archive_max_files: the most files an uploaded archive may hold.
        archive_max_unpacked: the most bytes an archive may unpack to.
        archive_max_ratio: the most an archive member may expand (unpacked / packed).
        write_rate: writes per minute allowed per token (and per client address).
        workers: audits run at once in the background.
        policies: policy names or files the registry checks every release against.
        hf_cache: the Hugging Face cache that Hub submissions are read from (None: the default).
        refresh_seconds: how often the registry index looks for new audits in the store.
    """

    store: str
    require_read_token: bool = False
    max_body_bytes: int = 32 * MiB
    max_json_bytes: int = 8 * MiB
    archive_max_files: int = 2000
    archive_max_unpacked: int = 64 * MiB
    archive_max_ratio: int = 200
    write_rate: int = 60
    workers: int = 2
    policies: tuple[str, ...] = ()
    hf_cache: str | None = None
    refresh_seconds: float = 2.0

    def to_env(self) -> str:
        """The settings as JSON, for server processes started by uvicorn (``--workers``)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, text: str | None = None) -> Settings:
        """Settings from JSON (by default the ``CLEARWEIGHTS_SERVER_SETTINGS`` variable)."""
        raw = os.environ.get(ENV) if text is None else text
        if not raw:
            raise UsageError(f"{ENV} is not set", hint="start the server with `clearweights serve`")
        try:
            data: dict[str, Any] = json.loads(raw)
            known = {f.name for f in fields(cls)}
            values = {k: v for k, v in data.items() if k in known}
            values["policies"] = tuple(values.get("policies") or ())
            return cls(**values)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{ENV} is not valid settings: {exc}") from None
