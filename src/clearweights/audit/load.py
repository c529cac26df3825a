"""Audit documents back into reports: the inverse of ``clearweights audit --format json``.

Audit once, consume everywhere: a stored or posted audit document is rebuilt into the very
:class:`~clearweights.audit.AuditReport` the audit produced, so policies, BOMs, SARIF, reports
and the store work from it without reading the release again.

Example:
    >>> from clearweights.audit.load import load_audits
    >>> report = load_audits(open("audit.json").read(), name="audit.json")  # doctest: +SKIP
    >>> report.audits[0].profile("mof").mof_class  # doctest: +SKIP
    2
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from clearweights.audit._rebuild import Licences, rebuild_audit
from clearweights.audit.model import SCHEMA_VERSION, AuditReport
from clearweights.errors import AuditDocumentError

# Schema versions this clearweights reads: the JSON it writes, and the older ones it can rebuild.
READS = (SCHEMA_VERSION,)

__all__ = ["READS", "load_audits"]


def load_audits(
    document: str | bytes | Mapping[str, Any], *, name: str = "audit document"
) -> AuditReport:
    """Rebuild the report a JSON audit document (``audit --format json``, one scan line) holds.

    *document* is the JSON text (or bytes, or the parsed object); *name* says where it comes
    from (a file, a store row, a request) in error messages.

    Raises:
        AuditDocumentError: the document is not JSON, not an audit document, does not follow
            docs/audit-schema.json, or was written by a newer clearweights (version named).
    """
    doc = _parse(document, name)
    _check_version(doc, name)
    _validate(doc, name)
    licences = Licences(doc)
    audits = []
    for index, raw in enumerate(doc["audits"]):
        try:
            audits.append(rebuild_audit(raw, licences))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            why = f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)
            raise AuditDocumentError(
                f"audits[{index}] cannot be rebuilt: {why}", path=name
            ) from None
    return AuditReport(tuple(audits))


def _parse(document: str | bytes | Mapping[str, Any], name: str) -> Mapping[str, Any]:
    if isinstance(document, Mapping):
        doc: Any = document
    else:
        if isinstance(document, bytes):
            try:
                document = document.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise AuditDocumentError(
                    f"is not UTF-8 text (byte {exc.start})", path=name
                ) from None
        try:
            doc = json.loads(document)
        except json.JSONDecodeError as exc:
            raise AuditDocumentError(
                f"is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=name
            ) from None
        except RecursionError:
            raise AuditDocumentError("is not JSON: nested too deeply", path=name) from None
    if not isinstance(doc, Mapping) or "audits" not in doc:
        raise AuditDocumentError(
            "is not an audit document (a JSON object with 'audits')",
            path=name,
            hint="give the output of 'clearweights audit --format json' or one line of a scan",
        )
    return doc


def _version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return None


def _check_version(doc: Mapping[str, Any], name: str) -> None:
    version = doc.get("schema_version")
    if isinstance(version, str) and version in READS:
        return
    shown = json.dumps(version)
    parsed = _version(version) if isinstance(version, str) else None
    newest = max(_version(v) or () for v in READS)
    if parsed is not None and parsed > newest:
        raise AuditDocumentError(
            f"has schema_version {shown}, newer than this clearweights reads "
            f"({', '.join(READS)}); nothing was loaded",
            path=name,
            hint="upgrade clearweights to read it",
        )
    raise AuditDocumentError(
        f"has schema_version {shown}; this clearweights reads {', '.join(READS)}", path=name
    )


@cache
def _validator() -> Any:
    import jsonschema

    raw = resources.files("clearweights").joinpath("data/audit-schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(raw))


def _validate(doc: Mapping[str, Any], name: str) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is None:
        return
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    raise AuditDocumentError(
        f"does not follow the audit schema at {where.lstrip('.') or 'the top'}: {message}",
        path=name,
        hint="see docs/audit-schema.json",
    )
