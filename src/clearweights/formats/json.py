"""Versioned, deterministic JSON (``schema_version`` first, keys sorted)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, assert_never

from clearweights import __version__
from clearweights._gc import paused
from clearweights._jsontext import dumps_indented
from clearweights.audit.model import AuditReport
from clearweights.licenses import catalogue_version
from clearweights.licenses._catalogue import term_to_json, value_to_json
from clearweights.licenses.model import FileResult, Licence, LicenceMatch, Terms
from clearweights.licenses.report import IdentifyReport, LicenceCard, LicenceListing
from clearweights.policy.model import CheckReport

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

SCHEMA_VERSION = "1.0"


def terms_json(licence: Licence) -> dict[str, Any]:
    """The flat terms object: values, ``null`` where unknown, ``false`` where known absent."""
    out: dict[str, Any] = {"osi_approved": licence.osi_approved, "fsf_libre": licence.fsf_libre}
    out.update({name: term_to_json(term) for name, term in licence.terms.items()})
    return out


def sources_json(terms: Terms) -> dict[str, Any]:
    """Where each known term comes from."""
    return {
        name: {"clause": t.cite.clause, "quote": t.cite.quote, "source": t.cite.source}
        for name, t in terms.items()
        if t.cite is not None and t.known
    }


def licence_json(licence: Licence) -> dict[str, Any]:
    """A catalogue record."""
    return {
        "id": licence.id,
        "name": licence.name,
        "kind": licence.kind,
        "category": licence.category.value,
        "family": licence.family,
        "version": licence.version,
        "date": licence.date,
        "hf_id": licence.hf_id,
        "scancode_key": licence.scancode_key,
        "spdx_id": licence.spdx_id,
        "url": licence.url,
        "deprecated": licence.deprecated,
        "policies": list(licence.policies),
        "terms": terms_json(licence),
        "term_sources": sources_json(licence.terms),
        "unknown_terms": {name: t.reason for name, t in licence.terms.items() if not t.known},
        "notes": licence.notes,
    }


def match_json(match: LicenceMatch) -> dict[str, Any]:
    """One licence found in an input."""
    out = licence_json(match.licence)
    out.update(
        match=match.match.value,
        confidence=match.confidence,
        score=match.score,
        coverage=match.coverage,
        rule=match.rule,
        evidence=[vars(e) for e in match.evidence],
        differences=[vars(d) for d in match.differences],
    )
    return out


def result_json(result: FileResult) -> dict[str, Any]:
    """One input."""
    ident = result.identification
    return {
        "path": result.path,
        "error": result.error,
        "notes": [*result.notes, *(ident.notes if ident else ())],
        "licenses": [match_json(m) for m in result.licences],
        "extracted": [
            {"term": e.term, "value": value_to_json(e.value), **vars(e.evidence)}
            for e in (ident.extracted if ident else ())
        ],
    }


def document(report: Report) -> dict[str, Any]:
    """The JSON document for *report*."""
    head: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": "clearweights",
        "tool_version": __version__,
        "catalogue_version": catalogue_version(),
    }
    match report:
        case IdentifyReport(results=results):
            head["results"] = [result_json(r) for r in results]
        case LicenceCard(summary=s):
            head["license"] = licence_json(s.licence)
            head["answers"] = [vars(a) for a in s.answers]
            head["must_do"] = list(s.must_do)
            head["forbidden"] = list(s.forbidden)
            head["links"] = list(s.links)
        case LicenceListing(licences=licences):
            head["licenses"] = [licence_json(lic) for lic in licences]
        case AuditReport(audits=audits):
            from clearweights.formats._audit_json import audit_json

            head["audits"] = [audit_json(a) for a in audits]
        case CheckReport():
            from clearweights.formats._check import check_json

            head.update(check_json(report))
        case _:
            assert_never(report)
    return head


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


class JsonFormat:
    """Machine-readable output: version fields first, then keys sorted."""

    def render(self, report: Report) -> str:
        """Return the report as JSON text."""
        with paused():  # see clearweights._gc
            return self._render(report)

    @staticmethod
    def _render(report: Report) -> str:
        doc = document(report)
        first = ("schema_version", "tool", "tool_version", "catalogue_version")
        ordered = {k: doc[k] for k in first} | {k: doc[k] for k in sorted(doc) if k not in first}
        try:  # the same text as json.dumps(indent=2), without its pure-Python encoder
            # Keys below the top level are sorted as they are written (no sorted copy first).
            return dumps_indented(ordered, top_in_order=True) + "\n"
        except TypeError:  # a key that is not a string: json turns it into one
            ordered = {k: _sorted(v) if k not in first else v for k, v in ordered.items()}
            return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"
