"""`clearweights serve`: an openness registry (REST API, badges, web UI) over the result store.

Imports FastAPI, which the ``server`` extra installs; the base install never imports this
package. Stable: :func:`create_app`, :class:`Settings` and the records of ``server.catalog``.
"""

from __future__ import annotations

from clearweights.server.app import create_app
from clearweights.server.settings import Settings

__all__ = ["Settings", "create_app"]
