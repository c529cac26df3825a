"""Interactive API docs served from the package (FastAPI's own pages load scripts elsewhere)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from clearweights.server.api import PREFIX
from clearweights.server.problems import Problem

_FILES = {"index.html": "text/html", "docs.js": "text/javascript", "docs.css": "text/css"}
router = APIRouter(prefix=f"{PREFIX}/docs", include_in_schema=False)


def _file(name: str) -> Response:
    data = resources.files("clearweights.server").joinpath("apidocs", name).read_bytes()
    return Response(
        data, media_type=_FILES[name], headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("")
def docs_root() -> Response:
    """The docs live in a folder so that their relative links resolve."""
    return RedirectResponse(f"{PREFIX}/docs/", status_code=308)


@router.get("/")
def docs_page() -> Response:
    """The page listing every operation, with a form to try each."""
    return _file("index.html")


@router.get("/{name}")
def docs_asset(name: str) -> Response:
    """The page's script and stylesheet."""
    if name not in _FILES or name == "index.html":
        raise Problem(404, f"no docs file {name!r}")
    return _file(name)
