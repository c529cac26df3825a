"""Licence files of a release: found by name or folder, given a role by meaning, indexed by folder.

A licence file is any text whose name holds the word licence (``LICENSE``, ``MODEL_LICENSE``,
``LICENSE.weights``, ``Community License for X Model.pdf``), ``COPYING``, a NOTICE or use
policy, or any text in a ``LICENSES/`` folder. Its role says what it covers: the weights when
its name, its folder (``weights/license.txt``) or its own title says so; the code when its name
says so; otherwise everything (general). A weights licence is never chosen for code, nor a code
licence for weights, and files are never ranked alphabetically: when several files of the same
role sit at the same level, all of them apply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from clearweights._untrusted import Heads, UntrustedInputError, read_head
from clearweights.components import MofComponent
from clearweights.licenses import LicenceMatch, MatchKind, identify_bytes
from clearweights.licenses._catalogue import load
from clearweights.licenses._expression import LicenceExpression, all_of, expression_in
from clearweights.licenses._files import MAX_BYTES
from clearweights.licenses.model import Category, Licence
from clearweights.release.model import ReleaseFile

M = MofComponent
T = TypeVar("T")
_TITLE_BYTES = 2048


class Role(StrEnum):
    """What a licence file covers."""

    WEIGHTS = "weights"
    CODE = "code"
    DATA = "data"
    DOCUMENTATION = "documentation"
    GENERAL = "general"
    THIRD_PARTY = "third-party"  # the licences of dependencies: covers none of the release
    NOTICE = "notice"
    USE_POLICY = "use-policy"


_WORDS = {
    Role.WEIGHTS: {"model", "models", "weight", "weights", "param", "params", "parameters",
                   "checkpoint", "checkpoints", "ckpt", "ckpts"},
    Role.CODE: {"code", "software", "source", "src"},
    Role.DATA: {"data", "dataset", "datasets"},
    Role.DOCUMENTATION: {"doc", "docs", "documentation"},
    Role.THIRD_PARTY: {"third", "thirdparty", "3rd", "dependencies", "deps", "vendor"},
}  # fmt: skip
_LICENCE_WORD = re.compile(r"^(?:licen[cs]es?|copying|copyright|eula)$")
_WEIGHT_FOLDERS = {"weights", "weight", "checkpoints", "ckpt", "ckpts", "params", "parameters",
                   "pretrained", "pretrained_models"}  # fmt: skip
_LICENCE_FOLDERS = {"licenses", "licences", "license", "licence"}
# Suffixes that make a name something else than a licence text (license_plate.safetensors).
_NOT_TEXT = {
    ".safetensors", ".gguf", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".pkl",
    ".npz", ".npy", ".py", ".sh", ".ipynb", ".js", ".ts", ".rs", ".go", ".c", ".cc", ".cpp",
    ".h", ".cu", ".java", ".jl", ".r", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".cfg",
    ".csv", ".tsv", ".parquet", ".arrow", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".wav",
    ".mp3", ".mp4", ".zip", ".gz", ".tar", ".model", ".tiktoken",
}  # fmt: skip
_TITLE = re.compile(
    r"\b(?:model|weights?|parameters?|checkpoints?)\b[^\n]{0,60}\b(?:licen[cs]e|agreement|terms)\b"
    r"|\blicen[cs]e\b[^\n]{0,30}\bfor\b[^\n]{0,60}\b(?:model|weights)\b",
    re.I,
)


def _tokens(stem: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", stem)
    return [t for t in re.split(r"[-_. ()]+", spaced.lower()) if t]


@lru_cache(maxsize=4096)  # a release repeats a few names (LICENSE) many times
def _name_role(name: str) -> Role | None:
    """The role a file name gives, or ``None`` when the name is not a licence file's."""
    if _suffix(name) in _NOT_TEXT:
        return None
    tokens = _tokens(name)
    if not tokens:
        return None
    if tokens[0] == "notice" or "notices" in tokens:
        return Role.THIRD_PARTY if _has(tokens, Role.THIRD_PARTY) else Role.NOTICE
    if "policy" in tokens and ("use" in tokens or "usage" in tokens or "acceptable" in tokens):
        return Role.USE_POLICY
    if not any(_LICENCE_WORD.match(t) for t in tokens):
        return None
    if _has(tokens, Role.THIRD_PARTY):
        return Role.THIRD_PARTY
    roles = [r for r in (Role.WEIGHTS, Role.CODE, Role.DATA, Role.DOCUMENTATION) if _has(tokens, r)]
    # "LICENSE-MODEL-AND-CODE" names no single part: it covers everything.
    return roles[0] if len(roles) == 1 else Role.GENERAL


def _has(tokens: list[str], role: Role) -> bool:
    return any(t in _WORDS[role] for t in tokens)


@dataclass(frozen=True)
class LicenceFile:
    """A licence file of the release, what it holds and what it covers.

    Attributes:
        path: the file, relative to the release.
        matches: what the licence engine found in it.
        error: why it could not be read, if it could not.
        role: what it covers (weights, code, data, documentation, general, ...).
        why: what gave the role (its name, its folder, its title or its licence).
        scope: the folder whose files it covers (with every folder below).
        by_name: the role comes from the file's name or folder, not from its content.
    """

    path: str
    matches: tuple[LicenceMatch, ...]
    error: str | None = None
    role: Role = Role.GENERAL
    why: str = "its name"
    scope: str = "."
    by_name: bool = True
    expression: LicenceExpression | None = None  # how its licences combine (OR when dual)

    @cached_property  # asked for each file it covers: computed once
    def licences(self) -> tuple[Licence, ...]:
        """The licences (not use policies) the file holds."""
        return tuple(
            m.licence
            for m in self.matches
            if m.licence.kind == "licence" and m.match is not MatchKind.EXTRACTED
        ) or tuple(m.licence for m in self.matches if m.match is MatchKind.EXTRACTED)

    @property
    def applies(self) -> bool:
        """Whether it licenses release files (notices, policies, third-party lists do not)."""
        return self.role not in (Role.THIRD_PARTY, Role.NOTICE, Role.USE_POLICY)


# Words one of which every licence file's name holds (a cheap test before tokenising it).
_NAME_HINTS = ("licen", "copying", "copyright", "eula", "notice", "polic")
_HINTED = re.compile("|".join(_NAME_HINTS))  # one search instead of a loop, for every file


def licence_role(path: str) -> Role | None:
    """The role of a release file if it is a licence file by its name or folder, else ``None``."""
    parent, _, name = path.rpartition("/")
    if _HINTED.search(name.lower()) is None and "licen" not in parent.lower():
        return None
    role = _name_role(name)
    folder = parent.rpartition("/")[2].lower()
    if role is None and folder in _LICENCE_FOLDERS and _suffix(name) not in _NOT_TEXT:
        return Role.GENERAL
    return role


def _suffix(name: str) -> str:
    """The lowercase suffix of a file name, as ``PurePosixPath.suffix`` gives it."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _title(data: bytes) -> str | None:
    """The line of a text's title (its first two non-empty lines) that names a model licence."""
    head = data[:_TITLE_BYTES].decode("utf-8", errors="replace")
    lines = [line.strip(" #*=\t\ufeff") for line in head.splitlines() if line.strip(" #*=\t")]
    return next((line[:80] for line in lines[:2] if _TITLE.search(line)), None)


def _model_licence(licence: Licence) -> bool:
    """Whether a licence is written for models (the catalogue's curated AI licences)."""
    return licence.kind == "licence" and (
        licence.category is Category.RESTRICTED_OPEN_WEIGHTS
        or (licence.family is not None and licence.id.startswith("LicenseRef-"))
        or licence.family == "openmdw"
    )


def _read(path: str, heads: Heads | None = None) -> tuple[bytes, str | None]:
    """The file's first bytes (one more than the engine reads), or why it cannot be read."""
    kept = heads.get(path, MAX_BYTES + 1) if heads is not None else None
    if kept is not None:  # a short licence, read whole while the release was listed
        return kept[0], None
    try:
        return read_head(path, MAX_BYTES + 1)[0], None
    except FileNotFoundError:
        return b"", "no such file"
    except PermissionError:
        return b"", "permission denied"
    except UntrustedInputError as exc:
        return b"", str(exc)
    except OSError as exc:
        return b"", f"cannot read: {exc.strerror or exc}"


@dataclass(frozen=True)
class _Content:
    """What a licence file's text says, whatever its name: identified once per distinct text
    (vendored copies of one licence are common: 20,000 identical MIT files are one text)."""

    matches: tuple[LicenceMatch, ...]
    error: str | None
    title: str | None  # a title line naming a model licence
    model_licence: bool  # it holds licences, all of them written for models
    expression: LicenceExpression | None


def _content(path: str, data: bytes, error: str | None) -> _Content:
    if error is not None:
        return _Content((), error, None, False, None)
    result = identify_bytes(data, path)
    licences = [m.licence for m in result.licences if m.licence.kind == "licence"]
    model = bool(licences) and all(_model_licence(lic) for lic in licences)
    probe = LicenceFile(path, result.licences, result.error)
    return _Content(
        result.licences, result.error, _title(data), model, _file_expression(data, probe)
    )


def read_licence_file(
    f: ReleaseFile,
    role: Role,
    cache: dict[bytes, _Content] | None = None,
    heads: Heads | None = None,
) -> LicenceFile:
    """Identify one licence file and settle its role and scope; the file is read once.

    *cache* maps the SHA-256 of a text already identified to what it says, so that every
    copy of one text is identified once; the one cache of a release (:func:`read_licence_files`).
    *heads*: the first bytes of the release's files, when its source kept them.
    """
    data, error = _read(f.absolute, heads)
    if error is not None or cache is None:
        content = _content(f.absolute, data, error)
    else:
        key = hashlib.sha256(data).digest()
        content = cache.get(key) or cache.setdefault(key, _content(f.absolute, data, None))
    folder, _, _ = f.path.rpartition("/")
    parent_name = folder.rpartition("/")[2].lower()
    above = (folder.rpartition("/")[0] or ".") if folder else "."
    scope, why, by_name = folder or ".", "its name", True
    if parent_name in _LICENCE_FOLDERS:  # LICENSES/Apache-2.0.txt covers the folder above
        scope, why = above, f"its name, in a {folder.rpartition('/')[2]}/ folder"
    elif role is Role.GENERAL and parent_name in _WEIGHT_FOLDERS:
        # weights/license.txt: the weights' licence, wherever the weights sit beside that folder.
        role, why, scope = Role.WEIGHTS, f"in a {folder.rpartition('/')[2]}/ folder", above
    if role is Role.GENERAL:
        if content.title is not None:
            role, why, by_name = Role.WEIGHTS, f"its title: {content.title!r}", False
        elif content.model_licence:
            role, why, by_name = Role.WEIGHTS, "it holds a model licence", False
    return LicenceFile(
        f.path, content.matches, content.error, role, why, scope, by_name, content.expression
    )


def _file_expression(data: bytes, found: LicenceFile) -> LicenceExpression | None:
    """A licence file's licences as an expression: dual-licence wording makes them a choice."""
    licences = found.licences
    if len(licences) < 2:
        return all_of(licences)
    text = data[:MAX_BYTES].decode("utf-8-sig", errors="replace")
    texts = (MatchKind.EXACT, MatchKind.FUZZY, MatchKind.VARIANT)
    covered = [(e.start, e.end) for m in found.matches if m.match in texts for e in m.evidence]
    return expression_in(text, licences, load(), covered)


# For each kind of component, the roles that may license it, in order of preference: the first
# group with a file at the nearest level wins. Weights never take a code licence, nor code a
# licence that names the weights.
_WEIGHTS_PREFS = ((Role.WEIGHTS,), (Role.GENERAL,))
# A plain LICENSE whose text is a model licence ("meaning") is still the only licence at its
# level: it covers code and data there when no licence names them.
_CODE_PREFS = ((Role.CODE,), (Role.GENERAL,), ("meaning",))
_DATA_PREFS = ((Role.DATA,), (Role.GENERAL,), ("meaning",))
_DOC_PREFS = ((Role.DOCUMENTATION,), (Role.GENERAL,), ("meaning",))


def _prefs(kind: MofComponent) -> tuple[tuple[str, ...], ...]:
    if kind in (M.MODEL_PARAMETERS_FINAL, M.MODEL_PARAMETERS_INTERMEDIATE, M.MODEL_METADATA):
        return _WEIGHTS_PREFS
    if kind is M.MODEL_CARD:
        return _WEIGHTS_PREFS
    if kind.spec.content_type == "code":
        return _CODE_PREFS
    if kind.spec.content_type == "data":
        return _DATA_PREFS
    return _DOC_PREFS


def _fits(lf: LicenceFile, group: tuple[str, ...]) -> bool:
    if group == ("meaning",):
        return lf.role is Role.WEIGHTS and not lf.by_name
    return lf.role in group


@dataclass
class LicenceIndex:
    """Licence files by the folder they cover; lookups walk up a path, never scan every file."""

    files: tuple[LicenceFile, ...]
    _by_scope: dict[str, list[LicenceFile]] = field(default_factory=dict)
    _memo: dict[tuple[str, MofComponent], tuple[LicenceFile, ...]] = field(default_factory=dict)
    _given: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for lf in self.files:
            if lf.applies:
                self._by_scope.setdefault(lf.scope, []).append(lf)
                own = lf.path.rpartition("/")[0] or "."  # as str(PurePosixPath(...).parent)
                if own != lf.scope:  # weights/license.txt also covers weights/ itself
                    self._by_scope.setdefault(own, []).append(lf)

    def select(self, path: str, kind: MofComponent) -> tuple[LicenceFile, ...]:
        """The licence files that cover *path* as a file of *kind* (empty when none does)."""
        folder = path.rpartition("/")[0] or "."  # as str(PurePosixPath(path).parent)
        key = (folder, kind)
        if key not in self._memo:
            self._memo[key] = self._walk(folder, _prefs(kind))
        return self._memo[key]

    def given(
        self, chosen: tuple[LicenceFile, ...], compute: Callable[[tuple[LicenceFile, ...]], T]
    ) -> T:
        """``compute(chosen)``, once per set of licence files (a licence file's path names it:
        20,000 folders each with its own copy of one LICENSE are 20,000 sets, but a folder's
        files share one)."""
        key = tuple(lf.path for lf in chosen)
        if key not in self._given:
            self._given[key] = compute(chosen)
        found: T = self._given[key]
        return found

    def _walk(self, folder: str, prefs: tuple[tuple[str, ...], ...]) -> tuple[LicenceFile, ...]:
        current = folder
        while True:
            here = self._by_scope.get(current, [])
            for group in prefs:
                chosen = tuple(lf for lf in here if _fits(lf, group))
                if chosen:
                    return chosen
            if current == ".":
                return ()
            current = current.rpartition("/")[0] or "."


def read_licence_files(
    files: Iterable[ReleaseFile], heads: Heads | None = None
) -> tuple[LicenceFile, ...]:
    """Read every licence file, notice and use policy of a release, in path order (*heads*:
    the first bytes of its files, when its source kept them)."""
    out = []
    cache: dict[bytes, _Content] = {}
    for f in files:
        role = licence_role(f.path)
        if role is not None:
            out.append(read_licence_file(f, role, cache, heads))
    return tuple(sorted(out, key=lambda lf: lf.path))
