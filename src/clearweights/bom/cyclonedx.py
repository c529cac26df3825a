"""CycloneDX 1.6 / 1.7 ML-BOM, built with cyclonedx-python-lib.

The library has no ``modelCard`` or ``data`` model (upstream issues #911-#913), so those two
objects are added to the serialised document here, in one place, and the result is validated
against the library's bundled schemas. The model itself sits only in ``metadata.component``:
putting the same object in ``components`` too makes the library rename its bom-ref.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from clearweights import __version__
from clearweights.bom._cdx_files import Written, add_files, check
from clearweights.bom._jsontext import dumps_indented
from clearweights.bom.subject import BomSubject
from clearweights.bom.validate import Problem
from clearweights.components import MofComponent
from clearweights.licenses import LicenceExpression, all_of
from clearweights.licenses.model import Licence

SPEC_VERSIONS = ("1.6", "1.7")
_NAMESPACE = uuid.UUID("8d9f1c3e-2b7a-5c4d-9e6f-0a1b2c3d4e5f")


def _licence(lic: Licence, acknowledgement: str) -> Any:
    from cyclonedx.model import XsUri
    from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement

    ack = LicenseAcknowledgement(acknowledgement)
    # Only SPDX list ids may go in `id`; everything else is a named licence with its URL.
    if lic.spdx_id and not lic.id.startswith("LicenseRef-"):
        return DisjunctiveLicense(id=lic.spdx_id, acknowledgement=ack)
    return DisjunctiveLicense(
        name=f"{lic.name} ({lic.id})", url=XsUri(lic.url) if lic.url else None, acknowledgement=ack
    )


def _licences(expression: LicenceExpression | None, acknowledgement: str) -> list[Any]:
    """Licences as CycloneDX wants them: a list when they all apply, one expression for a choice.

    CycloneDX allows one ``expression`` and nothing beside it, so a choice is written whole.
    """
    from cyclonedx.model.license import LicenseAcknowledgement, LicenseExpression

    if expression is None:
        return []
    if "OR" in _operators(expression):
        ack = LicenseAcknowledgement(acknowledgement)
        return [LicenseExpression(str(expression), acknowledgement=ack)]
    return [_licence(lic, acknowledgement) for lic in expression.licences]


def _operators(expression: LicenceExpression) -> set[str]:
    found = {expression.operator} if expression.operator else set()
    return found.union(*(_operators(a) for a in expression.args))


def _purl(repo_id: str) -> Any:
    """``pkg:huggingface/<namespace>/<name>`` for a Hub repo id."""
    from packageurl import PackageURL

    if "/" not in repo_id:
        return None
    namespace, name = repo_id.split("/", 1)
    return PackageURL(type="huggingface", namespace=namespace, name=name)


def _model_card(subject: BomSubject, dataset_refs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if subject.task:
        params["task"] = subject.task
    if subject.architecture:
        params["modelArchitecture"] = subject.architecture
        params["architectureFamily"] = subject.architecture.removesuffix(
            "ForCausalLM"
        ).removesuffix("LMHeadModel")
    if dataset_refs:
        params["datasets"] = [{"ref": ref} for ref in dataset_refs]
    if subject.task and "text" in subject.task:
        params["inputs"] = [{"format": "text"}]
        params["outputs"] = [{"format": "text"}]
    card: dict[str, Any] = {"modelParameters": params}
    if subject.hyperparameters:
        card["properties"] = [
            {"name": f"hyperparameter:{k}", "value": v} for k, v in subject.hyperparameters
        ]
    if subject.metrics:
        card["quantitativeAnalysis"] = {
            "performanceMetrics": [
                {
                    "type": f"{m.metric}",
                    "value": m.value,
                    "slice": f"{m.dataset}:{m.split}" if m.split else m.dataset,
                }
                for m in subject.metrics
            ]
        }
    considerations: dict[str, Any] = {}
    if subject.card is not None and subject.card.uses:
        considerations["useCases"] = [subject.card.uses]
    if subject.card is not None and subject.card.limitations:
        considerations["technicalLimitations"] = [subject.card.limitations]
    if considerations:
        card["considerations"] = considerations
    return card


def build(subject: BomSubject, spec_version: str = "1.6", *, direct: bool = True) -> str:
    """Return the CycloneDX JSON document for *subject*.

    With *direct* (the default) the file components are written as text from one template
    per shape (:mod:`clearweights.bom._cdx_files`); without, every file goes through the
    library. Both give the same bytes (a test holds them to it); the library takes minutes
    for 50,000 files.
    """
    doc, _ = _document(subject, spec_version, direct)
    return dumps_indented(doc) + "\n"  # as json.dumps(indent=2, sort_keys=True, ensure_ascii=False)


def build_checked(subject: BomSubject, spec_version: str = "1.6") -> tuple[str, list[Problem]]:
    """The document :func:`build` returns, and its problems against the CycloneDX schema."""
    doc, written = _document(subject, spec_version, True)
    if written is None:  # pragma: no cover - direct documents always say what they wrote
        raise RuntimeError("no file components written")
    return dumps_indented(doc) + "\n", check(doc, written)


def _document(
    subject: BomSubject, spec_version: str, direct: bool
) -> tuple[dict[str, Any], Written | None]:
    """The document as a dict, and what :func:`add_files` wrote into it (when *direct*)."""
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6, JsonV1Dot7

    if spec_version not in SPEC_VERSIONS:
        raise ValueError(f"unsupported CycloneDX version {spec_version}")
    model = _model(subject)
    datasets = _datasets(subject)
    bom = Bom(
        serial_number=uuid.uuid5(_NAMESPACE, f"{subject.name}@{subject.root_digest}"),
        metadata=BomMetaData(component=model, timestamp=subject.release_time),
        components=datasets,
    )
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="clearweights", version=__version__)
    )
    # The model is made of its files and trained on its datasets.
    _register_linear(bom)
    bom.register_dependency(model, datasets)
    if not direct:
        _library_files(bom, model, subject)
    writer = JsonV1Dot6(bom) if spec_version == "1.6" else JsonV1Dot7(bom)
    doc = json.loads(writer.output_as_string())
    doc["metadata"]["component"]["modelCard"] = _model_card(
        subject, [f"dataset:{d}" for d in subject.datasets]
    )
    for component in doc.get("components", []):
        if component.get("type") == "data":
            component["data"] = [{"type": "dataset", "name": component["name"]}]
    return doc, add_files(doc, subject, spec_version) if direct else None


def _model(subject: BomSubject) -> Any:
    """The model's component: weights' hashes, licences, base models, the audit's verdicts."""
    from cyclonedx.model import (
        ExternalReference,
        ExternalReferenceType,
        HashAlgorithm,
        HashType,
        XsUri,
    )
    from cyclonedx.model.component import Component, ComponentType, Pedigree
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.license import LicenseExpression

    declared = [_licence(lic, "declared") for lic in subject.declared]
    concluded = _licences(subject.concluded_expression or all_of(subject.concluded), "concluded")
    choice = any(isinstance(lic, LicenseExpression) for lic in concluded)
    # An expression must stand alone: the declared licences then go in a property.
    licences = concluded if choice else declared + concluded
    weights_hashes = [
        HashType(alg=HashAlgorithm.SHA_256, content=f.sha256)
        for f in subject.files
        if subject.component_of.get(f.path) is MofComponent.MODEL_PARAMETERS_FINAL
    ]
    ancestors = [
        Component(
            type=ComponentType.MACHINE_LEARNING_MODEL,
            name=base,
            bom_ref=f"base-model:{base}",
            purl=_purl(base),
            licenses=_licences(subject.base_licences.get(base), "concluded"),
        )
        for base in subject.base_models
    ]
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=subject.name,
        version=subject.version,
        bom_ref=f"model:{subject.name}",
        supplier=OrganizationalEntity(name=subject.supplier)
        if subject.supplier != "NOASSERTION"
        else None,
        purl=_purl(subject.name) if subject.purl else None,
        hashes=weights_hashes,
        licenses=licences,
        pedigree=Pedigree(ancestors=ancestors) if ancestors else None,
        properties=_properties(subject, choice),
        external_references=[
            ExternalReference(
                type=ExternalReferenceType.DISTRIBUTION, url=XsUri(subject.download_location)
            )
        ]
        if subject.download_location != "NOASSERTION"
        else None,
    )


def _properties(subject: BomSubject, choice: bool) -> list[Any]:
    """The model's properties; *choice*: the concluded licence is an expression, so the
    declared licences go here."""
    from cyclonedx.model import Property

    properties = [
        Property(name=f"clearweights:profile:{k}", value=v)
        for k, v in sorted(subject.verdicts.items())
    ]
    properties.append(Property(name="clearweights:root-sha256", value=subject.root_digest))
    if subject.base_relation:
        properties.append(
            Property(name="clearweights:hf:base_model_relation", value=subject.base_relation)
        )
    if choice and subject.declared:
        properties.append(
            Property(
                name="clearweights:declared-license",
                value=" AND ".join(lic.id for lic in subject.declared),
            )
        )
    if subject.declared_text:
        properties.append(
            Property(name="clearweights:declared-license-text", value=subject.declared_text)
        )
    return properties


def _datasets(subject: BomSubject) -> list[Any]:
    """A data component per training dataset the release names."""
    from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
    from cyclonedx.model.component import Component, ComponentType

    return [
        Component(
            type=ComponentType.DATA,
            name=d,
            bom_ref=f"dataset:{d}",
            external_references=[
                ExternalReference(
                    type=ExternalReferenceType.DISTRIBUTION,
                    url=XsUri(f"https://huggingface.co/datasets/{d}"),
                )
            ],
            properties=[
                Property(
                    name="clearweights:license", value="NOASSERTION (not stated in the release)"
                )
            ],
        )
        for d in subject.datasets
    ]


def _register_linear(bom: Any) -> None:
    """Make ``bom.register_dependency`` a dictionary lookup (on this instance only).

    The library scans every registered dependency for each component it registers, and its
    JSON writer registers every component: quadratic, minutes for 50,000 files.
    """
    from cyclonedx.model.dependency import Dependency

    index: dict[Any, Any] = {}

    def register(target: Any, depends_on: Any = None) -> None:
        if len(index) != len(bom.dependencies):
            index.clear()
            index.update((d.ref, d) for d in bom.dependencies)
        parts = list(depends_on or ())
        known = index.get(target.bom_ref)
        if known is not None:
            known.dependencies.update(Dependency(ref=p.bom_ref) for p in parts)
        else:
            known = Dependency(
                ref=target.bom_ref, dependencies=[Dependency(p.bom_ref) for p in parts]
            )
            bom.dependencies.add(known)
            index[known.ref] = known
        for part in parts:
            register(part)

    bom.register_dependency = register


def _library_files(bom: Any, model: Any, subject: BomSubject) -> None:
    """Every file as a library component the model depends on (the reference way)."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType

    owners: dict[str, Any] = {}
    for c in subject.components:
        for p in c.paths:
            owners.setdefault(p, c)
    files = []
    for f in subject.files:
        kind = subject.component_of.get(f.path)
        owner = owners.get(f.path)
        properties = [Property(name="clearweights:size", value=str(f.size))]
        if kind is not None:
            properties.append(Property(name="clearweights:mof-component", value=kind.spec.name))
        expression = owner.licence_expression if owner else None
        files.append(
            Component(
                type=ComponentType.FILE,
                name=f.path,
                bom_ref=f"file:{f.path}",
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=f.sha256)],
                properties=properties,
                licenses=_licences(expression, "concluded"),
            )
        )
    bom.components.update(files)
    bom.register_dependency(model, files)
