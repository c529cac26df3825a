"""SPDX 3.0.1 JSON-LD with the AI and Dataset profiles, built with spdx-python-model."""

from __future__ import annotations

import io
import re
from datetime import datetime
from functools import cache
from typing import Any

from clearweights import __version__
from clearweights.bom._jsontext import dumps_indented
from clearweights.bom._spdx_files import check, write_files
from clearweights.bom.subject import BomSubject
from clearweights.bom.validate import Problem, validate_spdx3
from clearweights.components import MofComponent
from clearweights.licenses import LicenceExpression
from clearweights.licenses.model import Licence

NAMESPACE = "https://clearweights.invalid/spdx"
_PURPOSE = {
    MofComponent.MODEL_PARAMETERS_FINAL: "model",
    MofComponent.MODEL_PARAMETERS_INTERMEDIATE: "model",
    MofComponent.MODEL_ARCHITECTURE: "configuration",
    MofComponent.MODEL_METADATA: "configuration",
    MofComponent.DATASETS: "data",
    MofComponent.EVALUATION_DATA: "data",
}
_DOCUMENTS = {"document"}


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-") or "x"


def _expression(
    licences: tuple[Licence, ...], expression: LicenceExpression | None = None
) -> str | None:
    """The SPDX expression: the audit's own (keeping OR), else every licence joined by AND."""
    if expression is not None:
        return str(expression)
    return " AND ".join(dict.fromkeys(lic.id for lic in licences)) or None


class _Builder:
    """Holds the bindings module, the creation info and every element made so far."""

    def __init__(self, subject: BomSubject):
        from spdx_python_model import v3_0_1 as spdx

        self.s = spdx
        self.subject = subject
        self.base = f"{NAMESPACE}/{_slug(subject.name)}/{subject.root_digest[:16]}"
        self.elements: list[Any] = []
        self.info = spdx.CreationInfo(specVersion="3.0.1", created=subject.release_time)
        tool = spdx.Tool(
            spdxId=self.id("tool", "clearweights"),
            name=f"clearweights {__version__}",
            creationInfo=self.info,
        )
        creator = spdx.Organization(
            spdxId=self.id("agent", "clearweights"), name="clearweights", creationInfo=self.info
        )
        self.info.createdBy = [self.id("agent", "clearweights")]
        self.info.createdUsing = [self.id("tool", "clearweights")]
        self.elements += [tool, creator]
        self._agents: dict[str, Any] = {}
        self._relationships = 0

    def id(self, kind: str, name: str) -> str:
        return f"{self.base}/{kind}/{_slug(name)}"

    def add(self, element: Any) -> Any:
        self.elements.append(element)
        return element

    def agent(self, name: str) -> Any:
        if name not in self._agents:
            self._agents[name] = self.add(
                self.s.Organization(
                    spdxId=self.id("agent", name), name=name, creationInfo=self.info
                )
            )
        return self._agents[name]

    def relate(self, source: Any, kind: str, targets: list[Any]) -> None:
        self._relationships += 1
        self.add(
            self.s.Relationship(
                spdxId=self.id("relationship", str(self._relationships)),
                creationInfo=self.info,
                from_=source,
                to=targets,
                relationshipType=getattr(self.s.RelationshipType, kind),
            )
        )

    def licence(
        self, name: str, licences: tuple[Licence, ...], tree: LicenceExpression | None = None
    ) -> Any:
        expression = _expression(licences, tree)
        if expression is None:
            return self.s.expandedlicensing_IndividualLicensingInfo.NoAssertionLicense
        element = self.s.simplelicensing_LicenseExpression(
            spdxId=self.id("license", name),
            creationInfo=self.info,
            simplelicensing_licenseExpression=expression,
        )
        refs = [lic for lic in licences if lic.id.startswith("LicenseRef-") and lic.url]
        if refs:
            element.simplelicensing_customIdToUri = [
                self.s.DictionaryEntry(key=lic.id, value=lic.url) for lic in refs
            ]
        return self.add(element)

    def dataset(self, name: str, location: str, origin: str, released: datetime) -> Any:
        s = self.s
        package = self.add(
            s.dataset_DatasetPackage(
                spdxId=self.id("dataset", name),
                creationInfo=self.info,
                name=name,
                originatedBy=[self.agent(origin)],
                builtTime=released,
                releaseTime=released,
                software_downloadLocation=location,
                software_primaryPurpose=s.software_SoftwarePurpose.data,
                dataset_datasetType=[s.dataset_DatasetType.noAssertion],
                comment="Licence, build and release time are not stated by the model release; "
                "times are the model's release time.",
            )
        )
        no_assertion = s.expandedlicensing_IndividualLicensingInfo.NoAssertionLicense
        self.relate(package, "hasDeclaredLicense", [no_assertion])
        self.relate(package, "hasConcludedLicense", [no_assertion])
        return package


def build(subject: BomSubject, *, direct: bool = True) -> str:
    """Return the SPDX 3.0.1 JSON-LD document for *subject*.

    With *direct* (the default) the file elements are written as text from one template
    (see :mod:`clearweights.bom._spdx_files`); without, every file goes through
    spdx-python-model. Both give the same bytes (a test holds them to it); the library takes
    minutes for 50,000 files.
    """
    if direct:
        return build_checked(subject, validate=False)[0]
    objects, _ = _objects_of(subject, direct=False)
    buffer = io.BytesIO()
    _spdx().JSONLDSerializer().write(objects, buffer, indent=2)
    return buffer.getvalue().decode("utf-8").rstrip("\n") + "\n"


def build_checked(subject: BomSubject, *, validate: bool = True) -> tuple[str, list[Problem]]:
    """The document :func:`build` returns, and (with *validate*) its problems against the SPDX
    3.0.1 schema and profile rules, found without reading the text back."""
    objects, b = _objects_of(subject, direct=True)
    data = _spdx().JSONLDSerializer().serialize_data(objects)
    sample = None
    if subject.files:
        ids = _file_ids(b, subject)
        rows = [(ids[f.path], f.path, _purpose(subject, f.path), f.sha256) for f in subject.files]
        rows.sort(key=lambda row: (row[0], row[1]))  # the library's order: by id
        in_order = [ids[f.path] for f in subject.files]
        sample = write_files(data, f"{b.base}/file/{_STAND_IN}", rows, in_order)
    # As the library writes it: json.JSONEncoder(indent=2), keys in its order, ASCII only.
    text = dumps_indented(data, sort_keys=False, ensure_ascii=True) + "\n"
    if not validate:
        return text, []
    return text, check(sample, rows) if sample is not None else validate_spdx3(data)


def _spdx() -> Any:
    from spdx_python_model import v3_0_1

    return v3_0_1


def _objects_of(subject: BomSubject, *, direct: bool) -> tuple[Any, _Builder]:
    """The library's object set for *subject*: with *direct*, one stand-in for the files."""
    b = _Builder(subject)
    model = _model(b, subject)
    if direct and subject.files:
        # One stand-in file: the library places it, its id is replaced by the files' later.
        files = [b.add(_file(b, f"{b.base}/file/{_STAND_IN}", "", "file", ""))]
    else:
        ids = _file_ids(b, subject)
        files = [
            b.add(_file(b, ids[f.path], f.path, _purpose(subject, f.path), f.sha256))
            for f in subject.files
        ]
    if files:
        b.relate(model, "contains", files)
    _datasets(b, model, subject)
    _bases(b, model, subject)
    return _objects(b, subject, model), b


def _model(b: _Builder, subject: BomSubject) -> Any:
    """The model's AI package, with its card facts and licences."""
    s = b.s
    model = b.add(
        s.ai_AIPackage(
            spdxId=b.id("model", subject.name),
            creationInfo=b.info,
            name=subject.name,
            suppliedBy=b.agent(subject.supplier),
            releaseTime=subject.release_time,
            software_downloadLocation=subject.download_location,
            software_packageVersion=subject.version,
            software_primaryPurpose=s.software_SoftwarePurpose.model,
            verifiedUsing=[s.Hash(algorithm=s.HashAlgorithm.sha256, hashValue=subject.root_digest)],
            comment="verifiedUsing holds the release's root digest: SHA-256 over the sorted "
            "per-file SHA-256 digests. Audit verdicts: "
            + ", ".join(f"{k} {v}" for k, v in sorted(subject.verdicts.items())),
        )
    )
    if subject.purl:
        model.software_packageUrl = subject.purl
    if subject.architecture:
        model.ai_typeOfModel = [subject.architecture]
    if subject.task:
        model.ai_domain = [subject.task]
    if subject.hyperparameters:
        model.ai_hyperparameter = [
            s.DictionaryEntry(key=k, value=v) for k, v in subject.hyperparameters
        ]
    if subject.card is not None and subject.card.limitations:
        model.ai_limitation = subject.card.limitations
    if subject.card is not None and subject.card.uses:
        model.ai_informationAboutApplication = subject.card.uses
    if subject.metrics:
        model.ai_metric = [
            s.DictionaryEntry(key=f"{m.task}/{m.dataset}/{m.metric}".strip("/"), value=m.value)
            for m in subject.metrics
        ]
    b.relate(model, "hasDeclaredLicense", [b.licence("declared", subject.declared)])
    b.relate(
        model,
        "hasConcludedLicense",
        [b.licence("concluded", subject.concluded, subject.concluded_expression)],
    )
    return model


def _datasets(b: _Builder, model: Any, subject: BomSubject) -> None:
    """The datasets the model was trained on and tested on."""
    trained = []
    for d in subject.datasets:
        origin = d.split("/")[0] if "/" in d else "NOASSERTION"
        trained.append(
            b.dataset(d, f"https://huggingface.co/datasets/{d}", origin, subject.release_time)
        )
    if trained:
        b.relate(model, "trainedOn", trained)
    tested_names = sorted({m.dataset for m in subject.metrics if m.dataset})
    tested = [
        b.dataset(f"eval-{n}", "NOASSERTION", "NOASSERTION", subject.release_time)
        for n in tested_names
    ]
    if tested:
        b.relate(model, "testedOn", tested)


def _bases(b: _Builder, model: Any, subject: BomSubject) -> None:
    """The base models the model descends from, each with the licence it passes on."""
    s = b.s
    bases = []
    for base in subject.base_models:
        package = b.add(
            s.software_Package(
                spdxId=b.id("base-model", base),
                creationInfo=b.info,
                name=base,
                software_primaryPurpose=s.software_SoftwarePurpose.model,
                software_downloadLocation=f"https://huggingface.co/{base}",
            )
        )
        if "/" in base:
            package.software_packageUrl = f"pkg:huggingface/{base}"
        inherited = subject.base_licences.get(base)
        if inherited is not None:
            concluded = b.licence(f"base-model-{base}", inherited.licences, inherited)
            b.relate(package, "hasConcludedLicense", [concluded])
        bases.append(package)
    if bases:
        b.relate(model, "descendantOf", bases)


def _objects(b: _Builder, subject: BomSubject, model: Any) -> Any:
    """The SBOM and the document around every element, linked into one object set."""
    s = b.s
    data_licence = b.add(
        s.simplelicensing_LicenseExpression(
            spdxId=b.id("license", "document-data"),
            creationInfo=b.info,
            simplelicensing_licenseExpression="CC0-1.0",
        )
    )
    elements = list(b.elements)
    sbom = s.software_Sbom(
        spdxId=b.id("sbom", subject.name),
        creationInfo=b.info,
        rootElement=[model],
        element=elements,
        software_sbomType=[s.software_SbomType.analyzed],
    )
    P = s.ProfileIdentifierType
    document = s.SpdxDocument(
        spdxId=b.id("document", subject.name),
        creationInfo=b.info,
        name=f"AI BOM of {subject.name}",
        rootElement=[sbom],
        element=[sbom, *elements],
        dataLicense=data_licence,
        profileConformance=[P.core, P.software, P.simpleLicensing, P.ai, P.dataset],
    )
    objects = s.SHACLObjectSet()
    for element in [document, sbom, *elements]:
        objects.add(element)
    unresolved = objects.link()
    if unresolved:  # pragma: no cover - a bug in this module, not bad input
        raise RuntimeError(f"unresolved SPDX references: {sorted(unresolved)}")
    return objects


# The stand-in's name: no slug holds "~" (file ids get it only after a slug, see _file_ids).
_STAND_IN = "~files"


def _file(b: _Builder, spdx_id: str, path: str, purpose: str, sha256: str) -> Any:
    s = b.s
    return s.software_File(
        spdxId=spdx_id,
        creationInfo=b.info,
        name=path,
        software_primaryPurpose=getattr(s.software_SoftwarePurpose, purpose),
        verifiedUsing=[s.Hash(algorithm=s.HashAlgorithm.sha256, hashValue=sha256)],
    )


def _purpose(subject: BomSubject, path: str) -> str:
    """The file's ``software_primaryPurpose``: from its MOF component, else source (a ``.py``
    file), documentation (a document's component) or file."""
    kind = subject.component_of.get(path)
    purpose, otherwise = _kind_purpose(kind) if kind else (None, "file")
    if purpose is not None:
        return purpose
    name = path.rpartition("/")[2]
    if name.endswith(".py") and len(name) > 3:  # PurePosixPath(path).suffix == ".py"
        return "source"
    return otherwise


@cache
def _kind_purpose(kind: MofComponent) -> tuple[str | None, str]:
    """The purpose a MOF component gives its files, and the one it gives its non-code files
    when it gives none (component lookups are slow enough to count 50,000 times)."""
    return _PURPOSE.get(kind), "documentation" if kind.spec.content_type in _DOCUMENTS else "file"


def _file_ids(b: _Builder, subject: BomSubject) -> dict[str, str]:
    """Each file's ``spdxId``: its slugged path, made unique.

    Paths that slug alike ("a b.txt", "a-b.txt") would share an id, and the library would
    write only one of the files; the later ones get ``~2``, ``~3``... after the slug.
    """
    ids: dict[str, str] = {}
    used: set[str] = set()
    prefix = b.id("file", "")[:-1]  # as b.id("file", path) without the slug ("x" for none)
    for f in subject.files:
        spdx_id = first = prefix + _slug(f.path)
        n = 1
        while spdx_id in used:
            n += 1
            spdx_id = f"{first}~{n}"
        used.add(spdx_id)
        ids[f.path] = spdx_id
    return ids
