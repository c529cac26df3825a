"""The Jinja2 environment of the web UI: autoescaped templates, the package's static files.

Every value reaches the page through autoescaping; the only markup inserted as-is is the SVG
of :mod:`clearweights.server.ui.charts`, which escapes every text it writes.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from clearweights import __version__, licenses
from clearweights.server.ui import charts
from clearweights.server.ui.licence_view import expression_parts

NAV = (
    ("/", "Home"),
    ("/releases", "Releases"),
    ("/licenses", "Licences"),
    ("/compare", "Compare"),
    ("/policies", "Policies"),
    ("/submit", "Submit"),
)
SYMBOLS = {
    "pass": "✔",
    "fail": "✖",
    "unknown": "?",
    "approved": "✔",
    "violates": "✖",
    "waived": "⚠",
    "error": "!",
}
STATIC = {"ui.css": "text/css; charset=utf-8", "ui.js": "text/javascript; charset=utf-8"}


@cache
def static_file(name: str) -> bytes:
    """One of the package's static files (only those listed in ``STATIC``)."""
    if name not in STATIC:
        raise KeyError(name)
    return resources.files("clearweights.server").joinpath("static", name).read_bytes()


@cache
def static_url(name: str) -> str:
    """The file's URL, with a digest of its content so browsers may cache it for long."""
    digest = hashlib.sha256(static_file(name)).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def css_class(value: object) -> str:
    """A value made safe for a class name: letters, digits and dashes."""
    text = "".join(ch if ch.isalnum() else "-" for ch in str(value).lower()).strip("-")
    return text or "none"


def _svg(chart: charts.Chart) -> Markup:
    # The chart functions escape every text they write (tested with markup in labels).
    return Markup(charts.render(chart))


@cache
def environment() -> Environment:
    """The templates' environment, built once."""
    env = Environment(
        loader=PackageLoader("clearweights.server", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css"] = css_class
    env.filters["people"] = licenses.names_for_people
    env.globals.update(
        static=static_url,
        svg=_svg,
        chart_table=charts.table,
        expression_parts=expression_parts,
        licence_name=licenses.display_name,
        symbols=SYMBOLS,
        nav=NAV,
        version=__version__,
        catalogue_version=licenses.catalogue_version(),
    )
    return env


def render_page(template: str, *, current: str, page_title: str, **context: Any) -> str:
    """Render one page of the UI."""
    return (
        environment()
        .get_template(template)
        .render(current=current, page_title=page_title, **context)
    )
