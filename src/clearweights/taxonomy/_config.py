"""``[tool.clearweights.taxonomy]``: a project's taxonomy settings in its config file.

```toml
[tool.clearweights.taxonomy]
licenses = ["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "Apache-2.0", "MIT"]  # the allow-list
mirrors = { "https://github.com/org/docs" = "vendor/docs" }  # local clones, from the file's folder
offline = true                  # never clone document repositories
cache-dir = ".cache/taxonomy"   # where they are cloned otherwise
phone-regions = ["US", "GB", "DE", "FR"]
context-words = 500             # size guidance (warnings)
qna-words = 250
skill-words = 2300
max-seeds = 20
```

``format``, ``output`` and ``jobs`` in the same table are the commands' option defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearweights.config import KEYS, ProjectConfig
from clearweights.taxonomy._checks import SizeGuidance

SECTION = "taxonomy"
_SIZES = {"context-words", "qna-words", "skill-words", "max-seeds"}
_OWN = {"licenses", "mirrors", "offline", "cache-dir", "phone-regions", *_SIZES}
_REGION = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class TaxonomySettings:
    """What the config file sets; ``None`` or empty where it says nothing."""

    licenses: tuple[str, ...] | None = None
    mirrors: Mapping[str, Path] = field(default_factory=dict)
    offline: bool | None = None
    cache_dir: Path | None = None
    phone_regions: tuple[str, ...] | None = None
    size: SizeGuidance = field(default_factory=SizeGuidance)


def _strings(config: ProjectConfig, key: str, value: Any) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, tuple) or not all(isinstance(i, str) and i for i in items):
        raise config.error(key, "expected a string or an array of strings", table=SECTION)
    return items


def _path(config: ProjectConfig, key: str, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise config.error(key, "expected a string (a path)", table=SECTION)
    base = config.path.parent if config.path is not None else Path.cwd()
    return (base / Path(value).expanduser()).resolve()


def _size(config: ProjectConfig, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise config.error(key, f"expected a positive integer, got {value!r}", table=SECTION)
    return value


def settings(config: ProjectConfig) -> TaxonomySettings:
    """The ``[tool.clearweights.taxonomy]`` settings, checked.

    Raises:
        ConfigError: an unknown key or a value of the wrong type (naming the file and the key).
    """
    section = config.section(SECTION)
    for key in section:
        if key not in _OWN and key not in KEYS:
            known = ", ".join(sorted(_OWN | {"format", "output", "jobs"}))
            raise config.error(key, f"unknown key (known keys: {known})", table=SECTION)
    values: dict[str, Any] = {}
    if "licenses" in section:
        values["licenses"] = _strings(config, "licenses", section["licenses"])
    if "phone-regions" in section:
        regions = _strings(config, "phone-regions", section["phone-regions"])
        if not all(_REGION.fullmatch(r) for r in regions):
            raise config.error(
                "phone-regions", "expected ISO 3166 codes such as US, GB", table=SECTION
            )
        values["phone_regions"] = regions
    if "mirrors" in section:
        table = section["mirrors"]
        if not isinstance(table, Mapping):
            raise config.error("mirrors", "expected a table: URL = folder", table=SECTION)
        values["mirrors"] = {url: _path(config, f"mirrors.{url}", p) for url, p in table.items()}
    if "offline" in section:
        if not isinstance(section["offline"], bool):
            raise config.error("offline", "expected true or false", table=SECTION)
        values["offline"] = section["offline"]
    if "cache-dir" in section:
        values["cache_dir"] = _path(config, "cache-dir", section["cache-dir"])
    sizes = {k.replace("-", "_"): _size(config, k, section[k]) for k in _SIZES if k in section}
    return TaxonomySettings(**values, size=SizeGuidance(**sizes))
