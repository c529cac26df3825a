"""The application factory of `clearweights serve`.

Example:
    >>> from clearweights.server import Settings, create_app
    >>> app = create_app(Settings(store="audits.db"))  # doctest: +SKIP
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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
        jobs.start()  # re-queues jobs a stopped process left, queues re-audits, runs them
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
    app.add_middleware(badges.BadgeFastPath, state=app.state)
    app.add_middleware(GuardMiddleware, max_body=settings.max_body_bytes)  # outermost
    app.include_router(api.router)
    app.include_router(badges.router)
    app.include_router(downloads.router)
    app.include_router(submit.router)
    app.include_router(docs.router)
    app.include_router(ui.router)  # the web UI: pages, stylesheet, script
    app.openapi = _openapi(app)  # type: ignore[method-assign]  # NOTE: FastAPI's documented hook
    return app


def _tuples(node: Any) -> Any:
    """Fixed-length tuples as arrays of any of their item types.

    Pydantic describes ``tuple[str, int]`` with ``prefixItems``, which some OpenAPI tools
    (schemathesis among them) read as a draft-2019 ``items`` list and reject; the looser form
    is valid everywhere and the field descriptions say what each position holds.
    """
    if isinstance(node, dict):
        out = {k: _tuples(v) for k, v in node.items()}
        fixed = out.pop("prefixItems", None)
        if isinstance(fixed, list):
            unique = [s for i, s in enumerate(fixed) if s not in fixed[:i]]
            out["items"] = unique[0] if len(unique) == 1 else {"anyOf": unique}
        return out
    if isinstance(node, list):
        return [_tuples(v) for v in node]
    return node


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _tuples(schema)
        return app.openapi_schema

    return build


def app_from_env() -> FastAPI:
    """The application for each uvicorn worker process (settings from the environment).

    What is loaded by then (modules, the licence catalogue, the app) lives as long as the
    process: frozen out of the cyclic garbage collector, so that a full collection walks
    only what requests made (a pause of about 100 ms otherwise, felt by every request in
    flight).
    """
    app = create_app(Settings.from_env())
    gc.collect()
    gc.freeze()
    return app
