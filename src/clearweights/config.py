"""The project config file: ``[tool.clearweights]`` in pyproject.toml, or a clearweights.toml.

A project keeps its defaults (policy, profiles, declarations, store, output files) in one
file found by walking up from the working directory, so CI and people run the same audit.
Keys are the commands' long option names; ``[tool.clearweights]`` holds keys shared by every
command, ``[tool.clearweights.<command>]`` a command's own, and any other table is a feature
section read as a mapping with :meth:`ProjectConfig.section`. Example::

    from clearweights.config import discover_config

    config = discover_config()  # walks up from the working directory
    check = config.options("check")  # shared keys, overlaid with [tool.clearweights.check]
    allow = config.section("taxonomy").get("licenses", [])

Paths in the file are relative to the file's folder. Every problem raises
:class:`~clearweights.errors.ConfigError` naming the file, the key and the reason.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from clearweights._untrusted import read_bounded
from clearweights.errors import ConfigError

CONFIG_FILE = "clearweights.toml"
PYPROJECT = "pyproject.toml"
MAX_CONFIG_FILE_BYTES = 1 << 20
# A folder holding one of these is a repository's root: the walk up stops there.
VCS_MARKERS = (".git", ".hg", ".svn", ".jj", ".bzr")

# Each key the file may set, and its kind (how it is checked and resolved).
KEYS: Mapping[str, str] = MappingProxyType(
    {
        "policy": "policy",
        "format": "str",
        "output": "path",
        "output-format": "path-table",
        "profile": "strs",
        "fail-on": "strs",
        "mof-mode": "str",
        "systemic-risk": "bool",
        "monetised": "bool",
        "base": "base",
        "download": "bool",
        "revision": "str",
        "store": "store",
        "jobs": "int",
        "engine": "str",
        "ray-address": "str",
        "top": "int",
        "title": "str",
        "kind": "str",
        "spec-version": "str",
        "quiet": "bool",
        "verbose": "bool",
        "no-progress": "bool",
    }
)
# Output files belong to one command: a shared one would make every command write the same file.
TABLE_ONLY = frozenset({"output", "output-format"})
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}


@dataclass(frozen=True)
class Options:
    """Option defaults a config file sets for a command; ``None`` or empty where it says nothing.

    Attributes mirror the long options (``fail-on`` is ``fail_on``). Paths are absolute.
    ``output_format`` and ``base`` are ``(format, file)`` and ``(repo id or "*", folder)`` pairs.
    """

    policy: str | None = None
    format: str | None = None
    output: Path | None = None
    output_format: tuple[tuple[str, Path], ...] = ()
    profile: tuple[str, ...] = ()
    fail_on: tuple[str, ...] = ()
    mof_mode: str | None = None
    systemic_risk: bool | None = None
    monetised: bool | None = None
    base: tuple[tuple[str, Path], ...] = ()
    download: bool | None = None
    revision: str | None = None
    store: str | None = None
    jobs: int | None = None
    engine: str | None = None
    ray_address: str | None = None
    top: int | None = None
    title: str | None = None
    kind: str | None = None
    spec_version: str | None = None
    quiet: bool | None = None
    verbose: bool | None = None
    no_progress: bool | None = None

    def set_keys(self) -> dict[str, Any]:
        """The keys this config sets, by long option name (``fail-on``), with their values."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != ():
                out[f.name.replace("_", "-")] = value
        return out

    def overlaid(self, other: Options) -> Options:
        """These options with every key *other* sets replaced by *other*'s value."""
        return replace(self, **{k.replace("-", "_"): v for k, v in other.set_keys().items()})


@dataclass(frozen=True)
class ProjectConfig:
    """A loaded config file (or none: :data:`NO_CONFIG`).

    Attributes:
        path: the file, or ``None`` when no config file applies.
        shared: the keys of ``[tool.clearweights]`` itself, for every command.
        tables: each sub-table's option keys, by table name (a command's name).
        sections: each sub-table as written (read-only), for features with settings of their own.
    """

    path: Path | None = None
    shared: Options = field(default_factory=Options)
    tables: Mapping[str, Options] = field(default_factory=lambda: MappingProxyType({}))
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def table_prefix(self) -> str:
        """How the file spells its tables in messages: ``tool.clearweights`` or nothing."""
        return "tool.clearweights" if self.path is not None and self.path.name == PYPROJECT else ""

    def options(self, command: str) -> Options:
        """The defaults for *command*: shared keys overlaid with its own table's."""
        own = self.tables.get(command)
        return self.shared if own is None else self.shared.overlaid(own)

    def section(self, name: str) -> Mapping[str, Any]:
        """The table ``[tool.clearweights.<name>]`` as a read-only mapping (empty when absent)."""
        return self.sections.get(name, MappingProxyType({}))

    def unknown_keys(self, name: str) -> tuple[str, ...]:
        """Keys of table *name* that are no option (a feature's own settings, or typos)."""
        return tuple(k for k in self.section(name) if k not in KEYS)

    def locate(self, key: str, command: str) -> str:
        """Where *command*'s value of *key* comes from: ``[tool.clearweights.check] policy``."""
        own = self.tables.get(command)
        table = command if own is not None and key in own.set_keys() else None
        return _where(self.table_prefix, table, key)

    def error(self, key: str, reason: str, table: str | None = None) -> ConfigError:
        """A :class:`ConfigError` naming this file and *key* (in *table*), for feature sections."""
        return ConfigError(f"{_where(self.table_prefix, table, key)}: {reason}", path=self.path)


NO_CONFIG = ProjectConfig()


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`` (did you mean 'fail-on'?)`` for a near miss, else the known keys."""
    names = sorted(known)
    close = difflib.get_close_matches(key.replace("_", "-"), names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(names)})"


def _where(prefix: str, table: str | None, key: str) -> str:
    name = ".".join(p for p in (prefix, table) if p)
    return f"[{name}] {key}" if name else key


def _type_name(value: object) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class _Reader:
    """Checks and resolves the values of one file (paths start from the file's folder)."""

    def __init__(self, path: Path, prefix: str):
        self.path = path
        self.root = path.parent
        self.prefix = prefix

    def fail(self, table: str | None, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{_where(self.prefix, table, key)}: {reason}", path=self.path)

    def expect(self, table: str | None, key: str, value: object, kind: type, what: str) -> Any:
        # bool is an int in Python; TOML keeps them apart, and so do we.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(table, key, f"expected {what}, got {_type_name(value)} ({value!r})")
        if kind is str and not value:
            raise self.fail(table, key, "expected a non-empty string, got an empty one")
        return value

    def resolve(self, value: str) -> Path:
        return (self.root / Path(value).expanduser()).resolve()

    def string_table(self, table: str | None, key: str, value: object) -> dict[str, str]:
        self.expect(table, key, value, dict, "a table")
        assert isinstance(value, dict)  # for mypy: expect() raised otherwise
        for name, item in value.items():
            self.expect(table, f"{key}.{name}", item, str, "a string (a path)")
        return dict(value)

    def value(self, table: str | None, key: str, raw: object) -> Any:
        """Check one value against its key's kind and resolve it."""
        match KEYS[key]:
            case "str":
                return self.expect(table, key, raw, str, "a string")
            case "bool":
                return self.expect(table, key, raw, bool, "true or false")
            case "int":
                number = self.expect(table, key, raw, int, "an integer")
                if number < 1:
                    raise self.fail(table, key, f"expected a positive integer, got {number}")
                return number
            case "path":
                return self.resolve(self.expect(table, key, raw, str, "a string (a path)"))
            case "strs":
                items: list[Any] = self.expect(
                    table, key, [raw] if isinstance(raw, str) else raw, list,
                    "a string or an array of strings",
                )  # fmt: skip
                for i, item in enumerate(items):
                    self.expect(table, f"{key}[{i}]", item, str, "a string")
                return tuple(items)
            case "path-table":
                pairs = self.string_table(table, key, raw)
                return tuple((name, self.resolve(path)) for name, path in pairs.items())
            case "base":
                if isinstance(raw, str):
                    return (("*", self.resolve(self.expect(table, key, raw, str, "a path"))),)
                pairs = self.string_table(table, key, raw)
                return tuple((repo, self.resolve(path)) for repo, path in pairs.items())
            case "policy":
                return self.policy(self.expect(table, key, raw, str, "a string"))
            case "store":
                text = self.expect(table, key, raw, str, "a string")
                return text if "://" in text else str(self.resolve(text))
            case other:  # pragma: no cover - KEYS and this match are edited together
                raise AssertionError(other)

    def policy(self, text: str) -> str:
        """A built-in policy by name, else a policy file relative to the config file."""
        from clearweights.policy.loader import BUILT_IN

        return text if text in BUILT_IN else str(self.resolve(text))

    def options(self, table: str | None, doc: Mapping[str, Any], *, strict: bool) -> Options:
        """The option keys of one table; *strict*: any other non-table key is an error."""
        values: dict[str, Any] = {}
        for key, raw in doc.items():
            if key in KEYS:
                if table is None and key in TABLE_ONLY:
                    where = f"[{self.prefix}.check]" if self.prefix else "[check]"
                    raise self.fail(table, key, f"belongs in a command's table, such as {where}")
                values[key.replace("-", "_")] = self.value(table, key, raw)
            elif strict and not isinstance(raw, dict):
                raise self.fail(table, key, f"unknown key{did_you_mean(key, KEYS)}")
        return Options(**values)


def _parse(path: Path) -> dict[str, Any]:
    """The TOML document of *path*; every failure is a :class:`ConfigError` naming it."""
    try:
        text = read_bounded(path, MAX_CONFIG_FILE_BYTES).decode("utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, too large, not a file
        raise ConfigError(f"cannot read the config file: {exc}", path=path) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from exc


def _settings_of(path: Path, doc: dict[str, Any]) -> tuple[object, bool]:
    """The clearweights settings in *doc*, and whether the file has any."""
    if path.name != PYPROJECT:
        return doc, True
    tool = doc.get("tool")
    if not isinstance(tool, dict) or "clearweights" not in tool:
        return None, False
    return tool["clearweights"], True


def load_config(path: str | Path) -> ProjectConfig:
    """Load the config file at *path* (a pyproject.toml or any other name: a clearweights.toml).

    Raises:
        ConfigError: the file cannot be read, is not TOML, or has a wrong key or value.
    """
    path = Path(path).absolute()
    settings, present = _settings_of(path, _parse(path))
    prefix = "tool.clearweights" if path.name == PYPROJECT else ""
    reader = _Reader(path, prefix)
    if not present:
        raise ConfigError("has no [tool.clearweights] table", path=path)
    if not isinstance(settings, dict):
        raise reader.fail(
            None, "tool.clearweights", f"expected a table, got {_type_name(settings)}"
        )
    shared = reader.options(None, settings, strict=True)
    sections = {k: v for k, v in settings.items() if isinstance(v, dict) and k not in KEYS}
    tables = {name: reader.options(name, doc, strict=False) for name, doc in sections.items()}
    return ProjectConfig(
        path=path,
        shared=shared,
        tables=MappingProxyType(tables),
        sections=MappingProxyType({k: _frozen(v) for k, v in sections.items()}),
    )


def _frozen(value: Any) -> Any:
    """A read-only copy of a TOML value (tables become mappings, arrays tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _has_settings(path: Path) -> bool:
    """Whether *path* is a pyproject.toml with a clearweights table.

    A pyproject.toml that is not valid TOML is another tool's problem unless it mentions us.
    """
    try:
        return _settings_of(path, _parse(path))[1]
    except ConfigError:
        try:
            mentions = b"tool.clearweights" in read_bounded(path, MAX_CONFIG_FILE_BYTES)
        except (OSError, ValueError):
            mentions = False
        if mentions:
            raise
        return False


def find_config(start: str | Path | None = None) -> Path | None:
    """The config file that applies in *start* (default: the working directory), or ``None``.

    Walks up from *start*: in each folder a clearweights.toml, else a pyproject.toml with a
    ``[tool.clearweights]`` table; stops after the repository's root (a folder holding
    ``.git``, ``.hg``, ...) or at the filesystem's root.

    Raises:
        ConfigError: one folder has both files with settings (which one is meant is unclear).
    """
    here = Path(start if start is not None else Path.cwd()).absolute()
    for folder in (here, *here.parents):
        own, pyproject = folder / CONFIG_FILE, folder / PYPROJECT
        if own.is_file():
            if pyproject.is_file() and _has_settings(pyproject):
                raise ConfigError(
                    f"both {CONFIG_FILE} and {PYPROJECT} hold clearweights settings",
                    path=folder,
                    hint="keep one of them, or choose with --config FILE",
                )
            return own
        if pyproject.is_file() and _has_settings(pyproject):
            return pyproject
        if any((folder / marker).exists() for marker in VCS_MARKERS):
            return None
    return None


def discover_config(start: str | Path | None = None) -> ProjectConfig:
    """Load the config file :func:`find_config` finds, or :data:`NO_CONFIG` when there is none."""
    path = find_config(start)
    return NO_CONFIG if path is None else load_config(path)


__all__ = [
    "CONFIG_FILE",
    "KEYS",
    "NO_CONFIG",
    "PYPROJECT",
    "Options",
    "ProjectConfig",
    "did_you_mean",
    "discover_config",
    "find_config",
    "load_config",
]
