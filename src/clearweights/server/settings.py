"""The server's settings: where the store is, who may read, and the limits on what is sent."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
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
        data_dir: the server's own folder (uploads wait there for their audit, in its
            ``clearweights-spool``); None: the folder of an SQLite store, else
            ``$XDG_DATA_HOME/clearweights`` (``~/.local/share/clearweights``).
        reaudit_on_start: queue re-audits of releases audited by an older catalogue or
            clearweights when the server starts.
        reaudit_limit: the most re-audits one start (or ``serve reaudit``) queues.
        job_poll_seconds: how often an idle job runner looks for jobs other processes queued.
        job_stale_seconds: a running job whose server process has not been heard from for
            this long is queued again (its process stopped without finishing it).
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
    data_dir: str | None = None
    reaudit_on_start: bool = True
    reaudit_limit: int = 1000
    job_poll_seconds: float = 2.0
    job_stale_seconds: float = 60.0

    def data_folder(self) -> Path:
        """The server's own folder (not created here)."""
        if self.data_dir:
            return Path(self.data_dir).expanduser().resolve()
        if "://" not in self.store or self.store.startswith("sqlite:///"):
            path = self.store.removeprefix("sqlite:///")
            if path and path != ":memory:":
                return Path(path).expanduser().resolve().parent
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base).resolve() / "clearweights"

    def spool(self) -> Path:
        """Where uploaded archives wait for their audit: inside the data folder, always."""
        return self.data_folder() / "clearweights-spool"

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
