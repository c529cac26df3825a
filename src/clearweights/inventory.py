"""Place every file of a release in one MOF component, with the reason and its licence.

Licence of a file, in order: an ``SPDX-License-Identifier`` header in the file itself, the
nearest LICENSE file above it (LICENSE-MODEL for weights, LICENSE-CODE for code when present),
then the model card's ``license`` metadata for the model's own files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from clearweights.components import Component, MofComponent
from clearweights.licenses import LicenceMatch, MatchKind, identify, identify_file, identify_name
from clearweights.licenses._catalogue import load
from clearweights.licenses._expression import LicenceExpression, all_of, expression_in
from clearweights.licenses._expression import expression_tree as parse_expression_tree
from clearweights.licenses._identify import MAX_BYTES
from clearweights.licenses.model import Licence
from clearweights.release.model import Release, ReleaseFile

M = MofComponent
WEIGHT_SUFFIXES = {
    ".safetensors",
    ".gguf",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".h5",
    ".msgpack",
    ".pkl",
    ".npz",
}
# LICENSE, LICENSE-MODEL, LICENCE.md, COPYING, NOTICE.txt, USE_POLICY.md: not weights that
# merely start with the word ("license_plate_detector.safetensors").
LICENCE_FILE = re.compile(
    r"^(?:licen[cs]e|copying|notice|use[_-]?policy|acceptable[_-]use[_-]policy)"
    r"(?:[-_.][a-z0-9_-]*)?(?:\.(?:md|txt|rst))?$",
    re.I,
)
_INTERMEDIATE = re.compile(
    r"(?:^|/)(?:checkpoint[-_]?\d+|checkpoints|intermediate|step[-_]?\d+)(?:/|$)", re.I
)
_CODE = {
    ".py",
    ".sh",
    ".ipynb",
    ".js",
    ".ts",
    ".rs",
    ".go",
    ".c",
    ".cc",
    ".cpp",
    ".cu",
    ".java",
    ".jl",
    ".r",
}
_DATA = {".jsonl", ".parquet", ".csv", ".tsv", ".arrow", ".txt", ".json"}
_HEADER_BYTES = 4096


def _in(path: str, *names: str) -> bool:
    """Whether a folder on *path* starts with one of *names*."""
    parts = [p.lower() for p in PurePosixPath(path).parts[:-1]]
    return any(p.startswith(names) for p in parts)


@dataclass(frozen=True)
class Rule:
    """Files with one of ``suffixes`` (any when empty) that fit any matcher (all when none)."""

    kind: MofComponent
    reason: str
    suffixes: frozenset[str] = frozenset()
    name: str | None = None  # regex over the lowercase file name
    path: str | None = None  # regex over the relative path
    names: frozenset[str] = frozenset()  # exact lowercase file names
    folders: tuple[str, ...] = ()  # a folder on the path starts with one of these
    exclude: str | None = None  # regex over the file name that rules the file out

    def fits(self, path: str, name: str, suffix: str) -> bool:
        """Whether the rule places this file."""
        if self.suffixes and suffix not in self.suffixes:
            return False
        if self.exclude and re.search(self.exclude, name):
            return False
        matchers = [
            self.name is not None and bool(re.search(self.name, name)),
            self.path is not None and bool(re.search(self.path, path, re.I)),
            name in self.names,
            bool(self.folders) and _in(path, *self.folders),
        ]
        has_matchers = self.name or self.path or self.names or self.folders
        return any(matchers) if has_matchers else True


W, C, D = frozenset(WEIGHT_SUFFIXES), frozenset(_CODE), frozenset(_DATA)
_METADATA_FILES = frozenset(
    {"generation_config.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json",
     "vocab.json", "vocab.txt", "merges.txt", "added_tokens.json", "preprocessor_config.json"}
)  # fmt: skip
_TOOLING_FILES = frozenset(
    {"requirements.txt", "setup.py", "pyproject.toml", "environment.yml", "setup.cfg"}
)
_MEDIA = frozenset({".png", ".jpg", ".jpeg", ".gif", ".wav", ".mp4", ".txt", ".md"})
# The first rule that fits a file wins.
RULES: tuple[Rule, ...] = (
    Rule(M.MODEL_PARAMETERS_INTERMEDIATE, "weights in a checkpoint or intermediate folder", W,
         path=_INTERMEDIATE.pattern),
    Rule(M.MODEL_PARAMETERS_FINAL, "weight file", W, exclude=r"^optimizer"),
    Rule(M.MODEL_PARAMETERS_INTERMEDIATE, "optimizer state", W),
    Rule(M.MODEL_CARD, "model card (README.md at the top)", path=r"^(?:readme|modelcard)\.md$"),
    Rule(M.DATA_CARD, "data card or datasheet", frozenset({".md", ".txt", ".pdf"}),
         name=r"data[_-]?card|datasheet|dataset[_-]?card"),
    Rule(M.RESEARCH_PAPER, "research paper", frozenset({".pdf"}), path=r"paper|arxiv"),
    Rule(M.TECHNICAL_REPORT, "technical report", frozenset({".pdf", ".md"}),
         name=r"report|technical"),
    Rule(M.EVALUATION_RESULTS, "evaluation results", frozenset({".json", ".md", ".csv"}),
         name=r"eval.*result|results|benchmark"),
    Rule(M.EVALUATION_CODE, "evaluation code", C, name=r"eval", folders=("eval",)),
    Rule(M.EVALUATION_DATA, "evaluation data", D, folders=("eval", "benchmark", "test")),
    Rule(M.DATA_PREPROCESSING_CODE, "data preprocessing code", C,
         name=r"preprocess|prepare|clean|filter|dedup|tokeni[sz]e_data|data_prep"),
    Rule(M.TRAINING_CODE, "training code", C, name=r"train|finetun|fine_tun|pretrain|sft|dpo|lora",
         folders=("train",)),
    Rule(M.MODEL_ARCHITECTURE, "architecture definition", names=frozenset({"config.json"})),
    Rule(M.MODEL_ARCHITECTURE, "architecture definition", frozenset({".py"}),
         name=r"^(?:modeling|configuration|model)[_.]"),
    Rule(M.INFERENCE_CODE, "inference code", C,
         name=r"infer|generat|predict|serve|chat|run|demo|handler|pipeline|example",
         folders=("example", "inference")),
    Rule(M.MODEL_METADATA, "tokenizer and generation settings", names=_METADATA_FILES,
         name=r"\.(?:model|tiktoken)$"),
    Rule(M.SUPPORTING_LIBRARIES, "dependencies and tooling", names=_TOOLING_FILES),
    Rule(M.SUPPORTING_LIBRARIES, "tokenizer code", frozenset({".py"}), name=r"^tokenization_"),
    Rule(M.SAMPLE_OUTPUTS, "sample outputs", _MEDIA,
         folders=("sample", "output", "assets", "images")),
    Rule(M.DATASETS, "dataset files", D, folders=("data",)),
    Rule(M.INFERENCE_CODE, "other code (assumed to run the model)", frozenset({".py"})),
)  # fmt: skip


def assign(path: str) -> tuple[MofComponent, str] | None:
    """Return the component a release file belongs to, and why; ``None`` when it fits none."""
    pure = PurePosixPath(path)
    name, suffix = pure.name.lower(), pure.suffix.lower()
    if LICENCE_FILE.match(name):
        return None
    for rule in RULES:
        if rule.fits(path, name, suffix):
            return rule.kind, rule.reason
    return None


@dataclass
class _Draft:
    paths: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    licences: dict[str, Licence] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    unlicensed: bool = False
    expressions: list[LicenceExpression | None] = field(default_factory=list)


@dataclass(frozen=True)
class LicenceFile:
    """A licence file of the release and what it holds."""

    path: str
    matches: tuple[LicenceMatch, ...]
    error: str | None = None
    expression: LicenceExpression | None = None  # how its licences combine (OR when dual)

    @property
    def licences(self) -> tuple[Licence, ...]:
        """The licences (not use policies) the file holds."""
        return tuple(
            m.licence
            for m in self.matches
            if m.licence.kind == "licence" and m.match is not MatchKind.EXTRACTED
        ) or tuple(m.licence for m in self.matches if m.match is MatchKind.EXTRACTED)


@dataclass(frozen=True)
class Inventory:
    """Components, the licence files read, and what could not be placed."""

    components: dict[MofComponent, Component]
    licence_files: tuple[LicenceFile, ...]
    card_licences: tuple[Licence, ...]
    unassigned: tuple[str, ...]


def _read_licence_files(release: Release) -> dict[str, LicenceFile]:
    out: dict[str, LicenceFile] = {}
    for f in release.files:
        if LICENCE_FILE.match(PurePosixPath(f.path).name):
            result = identify_file(f.absolute)
            found = LicenceFile(f.path, result.licences, result.error)
            out[f.path] = replace(found, expression=_file_expression(f, found))
    return out


def _file_expression(f: ReleaseFile, found: LicenceFile) -> LicenceExpression | None:
    """A licence file's licences as an expression: dual-licence wording makes them a choice."""
    licences = found.licences
    if len(licences) < 2:
        return all_of(licences)
    try:
        with open(f.absolute, "rb") as handle:
            text = handle.read(MAX_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return all_of(licences)
    texts = (MatchKind.EXACT, MatchKind.FUZZY, MatchKind.VARIANT)
    covered = [(e.start, e.end) for m in found.matches if m.match in texts for e in m.evidence]
    return expression_in(text, licences, load(), covered)


def _nearest(
    path: str, licence_files: dict[str, LicenceFile], kind: MofComponent
) -> LicenceFile | None:
    folder = PurePosixPath(path).parent
    want = "model" if kind.spec.content_type == "data" or kind is M.MODEL_CARD else "code"
    while True:
        here = [lf for p, lf in licence_files.items() if PurePosixPath(p).parent == folder]
        licences = [
            lf
            for lf in here
            if re.match(r"^(?:licen[cs]e|copying)", PurePosixPath(lf.path).name, re.I)
        ]
        typed = [lf for lf in licences if want in PurePosixPath(lf.path).name.lower()]
        plain = [
            lf
            for lf in licences
            if not re.search(r"model|code|data", PurePosixPath(lf.path).name, re.I)
        ]
        for group in (typed, plain, licences):
            if group:
                return sorted(group, key=lambda lf: lf.path)[0]
        if folder == PurePosixPath(".") or str(folder) in ("", "."):
            return None
        folder = folder.parent


def card_licences(release: Release) -> tuple[Licence, ...]:
    """The licences the model card declares (``license``, else ``license_name`` or link)."""
    card = release.card
    if card is None:
        return ()
    declared = (
        card.license if isinstance(card.license, list) else [card.license] if card.license else []
    )
    found: list[Licence] = []
    for value in declared:
        if value in ("other", "unknown"):
            continue
        match = identify_name(str(value))
        if match is not None:
            found.append(match.licence)
    if not found and card.license_name:
        match = identify_name(card.license_name)
        if match is not None:
            found.append(match.licence)
    return tuple(found)


# The model's own files, which the card's ``license`` field covers when no LICENSE file does.
CARD_LICENSED = frozenset(
    k for k in MofComponent if k.spec.content_type in ("data", "document") and k is not M.DATASETS
) | {M.MODEL_ARCHITECTURE}


def _header_licences(f: ReleaseFile) -> LicenceExpression | None:
    if PurePosixPath(f.path).suffix.lower() not in _CODE:
        return None
    try:
        with open(f.absolute, "rb") as handle:
            head = handle.read(_HEADER_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    if "SPDX-License-Identifier" not in head and "icensed under" not in head:
        return None
    found = [
        m.licence for m in identify(head).licences if m.match in (MatchKind.NOTICE, MatchKind.ALIAS)
    ]
    return expression_in(head, found, load()) if found else None


def build_inventory(release: Release) -> Inventory:
    """Place the release's files (or declared components) in MOF components."""
    if release.kind == "mof-file":
        return _declared(release)
    licence_files = _read_licence_files(release)
    declared = card_licences(release)
    drafts: dict[MofComponent, _Draft] = {}
    unassigned: list[str] = []
    for f in release.files:
        placed = assign(f.path)
        if placed is None:
            if not LICENCE_FILE.match(PurePosixPath(f.path).name):
                unassigned.append(f.path)
            continue
        kind, reason = placed
        draft = drafts.setdefault(kind, _Draft())
        draft.paths.append(f.path)
        if reason not in draft.reasons:
            draft.reasons.append(reason)
        header = _header_licences(f)
        if header:
            for lic in header.licences:
                draft.licences[lic.id] = lic
            draft.expressions.append(header)
            _source(draft, f"{f.path} header")
            continue
        nearest = _nearest(f.path, licence_files, kind)
        if nearest is not None and nearest.licences:
            for lic in nearest.licences:
                draft.licences[lic.id] = lic
            draft.expressions.append(nearest.expression or all_of(nearest.licences))
            _source(draft, nearest.path)
        elif declared and kind in CARD_LICENSED:
            for lic in declared:
                draft.licences[lic.id] = lic
            draft.expressions.append(all_of(declared))
            _source(
                draft, f"{release.card.path if release.card else 'model card'} license metadata"
            )
        else:
            draft.unlicensed = True
    if release.card is not None and release.card.model_index and M.EVALUATION_RESULTS not in drafts:
        draft = drafts.setdefault(M.EVALUATION_RESULTS, _Draft())
        draft.paths.append(f"{release.card.path}#model-index")
        draft.reasons.append("model-index results in the model card")
        card_draft = drafts.get(M.MODEL_CARD, _Draft())
        for lic in card_draft.licences.values():
            draft.licences[lic.id] = lic
        draft.expressions.extend(card_draft.expressions)
        _source(draft, "as the model card")
    components = {kind: _finish(kind, d) for kind, d in drafts.items()}
    components.update(_external(release, components, declared))
    return Inventory(
        components=dict(sorted(components.items(), key=lambda kv: kv[0].spec.cid)),
        licence_files=tuple(licence_files.values()),
        card_licences=declared,
        unassigned=tuple(unassigned),
    )


def _source(draft: _Draft, source: str) -> None:
    if source not in draft.sources:
        draft.sources.append(source)


def _finish(kind: MofComponent, draft: _Draft) -> Component:
    licences = tuple(draft.licences.values())
    expression = all_of(draft.expressions) or all_of(licences)
    # A component with some unlicensed files is only as open as its least licensed part.
    name = None if draft.unlicensed and not licences else str(expression) if expression else None
    if draft.unlicensed and licences:
        _source(draft, "some files have no licence")
    return Component(
        kind=kind,
        paths=tuple(draft.paths),
        licence_name=None if draft.unlicensed else name,
        licences=() if draft.unlicensed else licences,
        licence_source="; ".join(draft.sources) or "no licence found",
        reason="; ".join(draft.reasons),
        expression=None if draft.unlicensed else expression,
    )


def _external(
    release: Release, have: dict[MofComponent, Component], declared: tuple[Licence, ...]
) -> dict[MofComponent, Component]:
    """Components the card links to but the release does not contain."""
    card = release.card
    if card is None:
        return {}
    out: dict[MofComponent, Component] = {}
    if card.datasets and M.DATASETS not in have:
        out[M.DATASETS] = Component(
            M.DATASETS,
            tuple(f"https://huggingface.co/datasets/{d}" for d in card.datasets),
            reason="datasets named in the model card",
            external=True,
            licence_source="licence unknown (external)",
        )
    papers = tuple(u for u in card.links if re.search(r"arxiv\.org/(?:abs|pdf)/|\.pdf$", u))
    if papers and M.RESEARCH_PAPER not in have:
        out[M.RESEARCH_PAPER] = Component(
            M.RESEARCH_PAPER,
            papers,
            reason="paper linked from the model card",
            external=True,
            licence_source="licence unknown (external)",
        )
    repos = tuple(
        u for u in card.links if re.match(r"https?://(?:www\.)?github\.com/[^/]+/[^/]+", u)
    )
    if repos and M.TRAINING_CODE not in have:
        out[M.TRAINING_CODE] = Component(
            M.TRAINING_CODE,
            repos,
            reason="code repository linked from the model card (assumed to hold training code)",
            external=True,
            licence_source="licence unknown (external)",
        )
    return out


def _declared(release: Release) -> Inventory:
    components: dict[MofComponent, Component] = {}
    for d in release.declared:
        kind = MofComponent.by_name(d.name)
        if kind is None:
            continue
        expression = _declared_expression(d.licence) if d.licence else None
        components[kind] = Component(
            kind=kind,
            paths=(d.path,) if d.path else (),
            licence_name=d.licence,
            licences=expression.licences if expression else (),
            expression=expression,
            licence_source=d.licence_source,
            reason="declared in the MOF release file",
            external=bool(d.path) and "://" in d.path,
        )
    return Inventory(components, (), (), ())


def _declared_expression(name: str) -> LicenceExpression | None:
    """A MOF file's licence: an SPDX expression keeps its AND / OR, a name is one licence."""
    if re.search(r"\s(?:AND|OR|WITH)\s", name):
        parsed = parse_expression_tree(name, load())
        if parsed is not None:
            return parsed
    match = identify_name(name)
    return all_of([match.licence]) if match else None
