"""The registry's web UI: server-rendered pages over ``server.catalog``, no outside resources.

Pages are Jinja2 templates (autoescaped) under ``server/templates``; the one stylesheet and
the small optional script are package files under ``server/static``. Every page works with
JavaScript off, and none has inline script or style, so the server's CSP holds.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from clearweights.server.api import read_access
from clearweights.server.ui import browse, reference, submit
from clearweights.server.ui.render import STATIC, static_file

router = APIRouter(dependencies=[Depends(read_access)])
router.include_router(browse.router)
router.include_router(reference.router)
router.include_router(submit.router)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    """The stylesheet and the script (named by content digest, so cached for a year)."""
    if name not in STATIC:
        return Response("not found\n", status_code=404, media_type="text/plain")
    return Response(
        static_file(name),
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


__all__ = ["router"]
