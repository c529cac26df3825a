"""Downloads per release, made from its stored audit: audit JSON, CycloneDX, SPDX 3, SARIF.

The release's files are never read again: the BOMs describe the components, licences and
verdicts the audit found (file digests are not part of a stored audit, so the BOMs list no
file hashes; ``clearweights bom`` on the release itself gives them), and SARIF is a policy
check of the stored audit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from clearweights.server import catalog
from clearweights.server.api import PREFIX, READ_RESPONSES, read_access, registry_of
from clearweights.server.http import cached
from clearweights.server.problems import Problem, responses

if TYPE_CHECKING:
    from clearweights.audit.model import ReleaseAudit
    from clearweights.bom.subject import BomSubject
    from clearweights.server.policies import ServerPolicy


class Download(StrEnum):
    """What a release can be downloaded as."""

    AUDIT = "audit"
    CYCLONEDX = "cyclonedx"
    SPDX3 = "spdx3"
    SARIF = "sarif"


_MEDIA = {
    Download.AUDIT: ("application/json", "audit.json"),
    Download.CYCLONEDX: ("application/vnd.cyclonedx+json", "cyclonedx.json"),
    Download.SPDX3: ("application/spdx+json", "spdx3.json"),
    Download.SARIF: ("application/sarif+json", "sarif.json"),
}


def load_audit(document: str) -> ReleaseAudit:
    """The release audit of a stored audit JSON document (rebuilt, never re-audited)."""
    from clearweights.audit.load import load_audits

    return load_audits(document, name="stored audit").audits[0]


def subject_from_audit(audit: ReleaseAudit, revision: str, audited_at: str) -> BomSubject:
    """The BOM subject of a stored audit: no file digests, the stored revision as version."""
    from clearweights.bom.hashing import root_digest
    from clearweights.bom.subject import HUB, BomSubject
    from clearweights.components import MofComponent
    from clearweights.inventory import card_licences

    release = audit.release
    if release is None:
        raise Problem(409, "the stored audit holds no release (it could not be audited)")
    card = release.card
    weights = next(
        (c for c in audit.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
    )
    hub = release.kind == "hf-cache"
    declared = card_licences(release)
    text = None
    if card is not None:
        text = card.license_name or (card.license if isinstance(card.license, str) else None)
    moment = datetime.fromisoformat(audited_at)
    return BomSubject(
        name=release.name,
        version=revision,
        supplier=release.name.split("/")[0] if "/" in release.name else "NOASSERTION",
        download_location=f"{HUB}/{release.name}" if hub else "NOASSERTION",
        purl=f"pkg:huggingface/{release.name}" if hub else None,
        release_time=moment if moment.tzinfo else moment.replace(tzinfo=UTC),
        architecture=audit.architecture,
        task=card.pipeline_tag if card else None,
        card=card,
        declared=declared,
        declared_text=text if card is not None and not declared else None,
        concluded=weights.licences if weights else (),
        components=audit.components,
        files=(),
        root_digest=root_digest(()),
        datasets=card.datasets if card else (),
        base_models=card.base_model if card else (),
        base_relation=card.base_model_relation if card else None,
        metrics=(),
        verdicts={
            p.profile: (f"class {p.mof_class}" if p.mof_class is not None else p.verdict.value)
            for p in audit.profiles
        },
        component_of={p: c.kind for c in audit.components for p in c.paths},
        hyperparameters=audit.settings,
        concluded_expression=weights.licence_expression if weights else None,
        base_licences={b.repo_id: b.expression for b in audit.lineage.bases},
    )


def render(
    kind: Download, document: str, revision: str, audited_at: str, policy: ServerPolicy
) -> str:
    """One download of a stored audit (SARIF: its check against *policy*)."""
    if kind is Download.AUDIT:
        return document
    audit = load_audit(document)
    if kind is Download.SARIF:
        from clearweights.formats.sarif import SarifFormat
        from clearweights.policy import CheckReport, ReleaseCheck
        from clearweights.policy.model import CheckContext

        violations, notes = policy.policy.apply(CheckContext(audit, date.today(), policy.base))
        name = audit.release.name if audit.release else None
        check = ReleaseCheck(audit.path, name, tuple(violations), tuple(notes))
        leaves = tuple(dict.fromkeys((leaf.id, leaf.description) for leaf in policy.policy.leaves))
        return SarifFormat().render(CheckReport(policy.name, leaves, (check,)))
    subject = subject_from_audit(audit, revision, audited_at)
    if kind is Download.CYCLONEDX:
        from clearweights.bom.cyclonedx import build

        return build(subject, "1.6")
    from clearweights.bom.spdx3 import build as build_spdx

    return build_spdx(subject)


def server_policy(request: Request, name: str) -> ServerPolicy:
    """One of the server's policies, or a built-in one, by name (404 otherwise)."""
    from clearweights.policy import BUILT_IN
    from clearweights.server.policies import load_policies

    for known in request.app.state.policies:
        if known.name == name:
            return known  # type: ignore[no-any-return]  # NOTE: app.state is untyped
    if name in BUILT_IN:
        return load_policies((name,))[0]
    raise Problem(404, f"no policy {name!r} on this server")


router = APIRouter(
    prefix=PREFIX,
    tags=["downloads"],
    dependencies=[Depends(read_access)],
    responses={**READ_RESPONSES, **responses(409)},
)


@router.get(
    "/releases/{release_id}/download/{kind}",
    summary="Download a release's audit, BOM or SARIF",
    response_class=Response,
    responses={200: {"content": {m: {"schema": {"type": "object"}} for m, _ in _MEDIA.values()}}},
)
def download(
    request: Request,
    release_id: Annotated[int, Path(ge=1, le=2**53)],
    kind: Download,
    policy: Annotated[str, Query(max_length=128, pattern=r"^[\w.-]+$")] = "pragmatic",
) -> Response:
    """The latest audit as stored, as a CycloneDX 1.6 or SPDX 3.0.1 BOM, or as SARIF.

    SARIF holds the violations of *policy* (a built-in policy or one the server was given).
    """
    registry = registry_of(request)
    with registry.read() as connection:
        summary = catalog.get_summary(connection, release_id)
        found = None
        if summary is not None and summary.audit_id is not None:
            found = catalog.audit_document(connection, summary.audit_id)
    if summary is None or found is None or found[1] is None:
        raise Problem(404, f"no audited release with id {release_id}")
    if summary.status != "ok" and kind is not Download.AUDIT:
        raise Problem(409, "the release could not be audited; only its audit JSON is available")
    chosen = server_policy(request, policy)
    text = render(kind, found[1], summary.revision, found[0], chosen)
    media, suffix = _MEDIA[kind]
    filename = f"{summary.name.replace('/', '_')[:100]}.{suffix}"
    disposition = {"Content-Disposition": f'attachment; filename="{_ascii(filename)}"'}
    return cached(request, text.encode(), media, modified=found[0], headers=disposition)


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
