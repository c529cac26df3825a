"""``clearweights serve``: the registry server, its migrations and its API tokens."""

from __future__ import annotations

import os
import time
from typing import Any

import click

from clearweights.cli._default_group import DefaultGroup
from clearweights.errors import ExitCode

_STORE = click.option(
    "--store",
    "store_url",
    envvar="CLEARWEIGHTS_STORE",
    metavar="URL",
    required=True,
    help="The result store: an SQLite file path or a database URL.",
)


class _ServeGroup(DefaultGroup):
    """``clearweights serve`` alone (the store from ``CLEARWEIGHTS_STORE``) starts the server."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Run the server when no subcommand is named."""
        return super().parse_args(ctx, args or [self.default])


@click.group(name="serve", cls=_ServeGroup, default="run")
def serve_group() -> None:
    """Serve the registry (web UI, REST API, badges) over a result store.

    \b
    Examples:
      clearweights serve --store audits.db --port 8000
      clearweights serve token create ci --scope submit --store audits.db
      clearweights serve migrate --store postgresql+psycopg://registry@db/registry
      clearweights serve reaudit --store audits.db --wait
    """


_DATA_DIR = click.option(
    "--data-dir",
    metavar="DIR",
    help="The server's own folder (uploads wait there); default: the SQLite store's folder.",
)
_HF_CACHE = click.option(
    "--hf-cache", metavar="DIR", help="The Hugging Face cache Hub submissions use."
)
_REAUDIT_LIMIT = click.option(
    "--reaudit-limit",
    type=click.IntRange(0, 10_000_000),
    default=1000,
    show_default=True,
    help="Re-audits queued at most per pass (0: none on start).",
)


@serve_group.command(name="run")
@_STORE
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes (uvicorn workers).")  # fmt: skip
@click.option("--audit-workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Submitted audits run at once, per server process.")  # fmt: skip
@click.option("--require-read-token", is_flag=True, help="Reads need a token too.")
@click.option("--policy", "policies", multiple=True, metavar="NAME|FILE",
              help="A policy every release is checked against (repeatable).")  # fmt: skip
@_HF_CACHE
@_DATA_DIR
@_REAUDIT_LIMIT
@click.option("--write-rate", type=click.IntRange(1, 100_000), default=60, show_default=True,
              help="Writes a minute allowed per token and per client address.")  # fmt: skip
def run_command(
    store_url: str,
    host: str,
    port: int,
    workers: int,
    audit_workers: int,
    require_read_token: bool,
    policies: tuple[str, ...],
    hf_cache: str | None,
    data_dir: str | None,
    reaudit_limit: int,
    write_rate: int,
) -> int:
    """Start the server (migrating the store and queueing re-audits first)."""
    import uvicorn

    from clearweights.server.settings import ENV, Settings

    settings = Settings(
        store=store_url,
        require_read_token=require_read_token,
        workers=audit_workers,
        policies=policies,
        hf_cache=hf_cache,
        write_rate=write_rate,
        data_dir=data_dir,
        reaudit_on_start=reaudit_limit > 0,
        reaudit_limit=reaudit_limit,
    )
    _prepare(settings)  # migrate, index and queue re-audits once, before the workers start
    os.environ[ENV] = settings.to_env()
    click.echo(f"clearweights: serving {store_url} on http://{host}:{port}/", err=True)
    uvicorn.run(
        "clearweights.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
    )
    return 0


def _prepare(settings: Any) -> None:
    """Migrate the store, build the index, queue what a new catalogue may change."""
    from clearweights.server.jobs import JobPool
    from clearweights.server.reaudit import describe, queue_reaudits
    from clearweights.server.registry import Registry

    registry = Registry(settings)
    pool = JobPool(registry)
    try:
        if settings.reaudit_on_start:
            click.echo(f"clearweights: {describe(queue_reaudits(pool, settings.reaudit_limit))}",
                       err=True)  # fmt: skip
    finally:
        pool.shutdown()
        registry.close()


@serve_group.command(name="reaudit")
@_STORE
@_HF_CACHE
@_DATA_DIR
@click.option("--limit", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Re-audits queued at most by this pass.")  # fmt: skip
@click.option(
    "--wait",
    is_flag=True,
    help="Run the re-audits here and wait for them (else a running server runs them).",
)
@click.option("--audit-workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Audits run at once with --wait.")  # fmt: skip
def reaudit_command(
    store_url: str,
    hf_cache: str | None,
    data_dir: str | None,
    limit: int,
    wait: bool,
    audit_workers: int,
) -> int:
    """Queue re-audits of releases audited by an older catalogue or clearweights."""
    from clearweights.server.jobs import JobPool
    from clearweights.server.reaudit import describe, queue_reaudits
    from clearweights.server.registry import Registry
    from clearweights.server.settings import Settings

    settings = Settings(store=store_url, hf_cache=hf_cache, data_dir=data_dir,
                        workers=audit_workers, reaudit_on_start=False)  # fmt: skip
    registry = Registry(settings)
    pool = JobPool(registry)
    failed: list[Any] = []
    try:
        last = max((j.id for j in pool.recent(1)), default=0)
        click.echo(f"clearweights: {describe(queue_reaudits(pool, limit))}", err=True)
        if wait:
            pool.start()
            while pool.pending("reaudit"):
                time.sleep(0.5)
            ended = [j for j in pool.recent(limit) if j.kind == "reaudit" and j.id > last]
            failed = [j for j in ended if j.state == "failed"]
            for job in failed:
                click.echo(f"clearweights: {job.target}: re-audit failed: {job.message}", err=True)
            click.echo(f"clearweights: re-audits finished ({len(failed)} failed)", err=True)
    finally:
        pool.shutdown()
        registry.close()
    return int(ExitCode.INCOMPLETE if failed else ExitCode.OK)  # as scan: some could not be done


@serve_group.command(name="migrate")
@_STORE
def migrate_command(store_url: str) -> int:
    """Create the store or bring its schema up to date, then exit."""
    from clearweights.store import open_store

    open_store(store_url).close()
    click.echo(f"clearweights: {store_url} is up to date", err=True)
    return 0


@serve_group.group(name="token")
def token_group() -> None:
    """API tokens: create (shown once), list, revoke."""


@token_group.command(name="create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "submit", "admin"]), default="submit",
              show_default=True)  # fmt: skip
@_STORE
def token_create(name: str, scope: str, store_url: str) -> int:
    """Create a token; it is printed once, on stdout, and only its digest is kept."""
    from clearweights.server.tokens import Scope, create_token
    from clearweights.store import open_store

    store = open_store(store_url)
    try:
        info, secret = create_token(store.engine, name, Scope(scope))
    finally:
        store.close()
    click.echo(f"clearweights: token {info.id} ({info.name}, {info.scope}); it is shown only once",
               err=True)  # fmt: skip
    click.echo(secret)
    return 0


@token_group.command(name="list")
@_STORE
def token_list(store_url: str) -> int:
    """List tokens (id, name, scope, prefix, created, last used, revoked)."""
    from clearweights.server.tokens import list_tokens
    from clearweights.store import open_store

    store = open_store(store_url)
    try:
        tokens = list_tokens(store.engine)
    finally:
        store.close()
    for t in tokens:
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        click.echo(f"{t.id}\t{t.name}\t{t.scope}\t{t.prefix}...\t{t.created_at}\t"
                   f"{t.last_used_at or '-'}\t{state}")  # fmt: skip
    return 0


@token_group.command(name="revoke")
@click.argument("token_id", type=int)
@_STORE
def token_revoke(token_id: int, store_url: str) -> int:
    """Revoke a token by its id."""
    from clearweights.server.tokens import revoke_token
    from clearweights.store import open_store

    store = open_store(store_url)
    try:
        info = revoke_token(store.engine, token_id)
    finally:
        store.close()
    click.echo(
        f"clearweights: token {info.id} ({info.name}) revoked at {info.revoked_at}", err=True
    )
    return 0
