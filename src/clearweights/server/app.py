"""The application factory of `clearweights serve`.

Example:
    >>> from clearweights.server import Settings, create_app
    >>> app = create_app(Settings(store="audits.db"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from clearweights import __version__
from clearweights.server import api, badges, docs, downloads, problems, submit, ui
from clearweights.server.jobs import JobPool
from clearweights.server.policies import PolicyChecker, load_policies
from clearweights.server.registry import Registry
from clearweights.server.security import GuardMiddleware, RateLimiter
from clearweights.server.settings import Settings

DESCRIPTION = """\
An openness registry over clearweights' result store: every release's latest audit, its
history, licences, policy results, badges and downloads. Reads are public unless the server
requires a token; writes need a token with the `submit` or `admin` scope, sent as
`Authorization: Bearer <token>`. Errors are RFC 9457 problem details."""


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI application serving the registry in *settings*' store (migrated on start)."""
    registry = Registry(settings)
    jobs = JobPool(registry)
    policies = load_policies(settings.policies)
    checker = PolicyChecker(registry.engine, policies, downloads.load_audit)
    registry.listeners.append(checker.wake)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        checker.start()
        try:
            yield
        finally:
            checker.stop()
            jobs.shutdown()
            registry.close()

    app = FastAPI(
        title="clearweights registry",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{api.PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's pages load scripts from elsewhere; ours ship in the package
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.registry = registry
    app.state.jobs = jobs
    app.state.policies = policies
    app.state.write_limiter = RateLimiter(settings.write_rate)
    badges.install(app)
    problems.install(app)
    app.add_middleware(GuardMiddleware, max_body=settings.max_body_bytes)
    app.include_router(api.router)
    app.include_router(badges.router)
    app.include_router(downloads.router)
    app.include_router(submit.router)
    app.include_router(docs.router)
    app.include_router(ui.router)  # the web UI: pages, stylesheet, script
    return app


def app_from_env() -> FastAPI:
    """The application for each uvicorn worker process (settings from the environment)."""
    return create_app(Settings.from_env())
