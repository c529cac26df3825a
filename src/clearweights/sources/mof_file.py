"""A Model Openness Tool release file (MOF YAML), audited from what it declares."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clearweights._untrusted import UntrustedInputError, load_yaml, read_bounded, shorten
from clearweights.components import MofComponent
from clearweights.errors import ReleaseError
from clearweights.release.model import DeclaredComponent, Release, Skipped

MAX_BYTES = 4 << 20


def _schema() -> dict[str, Any]:
    raw = resources.files("clearweights").joinpath("data/mof_schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(raw)
    return schema


def _licence_name(entry: Any) -> str | None:
    if isinstance(entry, dict):
        name = entry.get("name")
        return str(name).strip() if name not in (None, "") else None
    return None


class MofFile:
    """Reads a MOF YAML file; component licences follow the tool's inheritance rules."""

    def __init__(self, path: Path):
        self.path = path

    def collect(self) -> Release:
        """Validate the file against the MOT schema and return its declared release."""
        import jsonschema

        try:
            data = read_bounded(self.path, MAX_BYTES)
        except UntrustedInputError as exc:
            raise ReleaseError(str(exc), path=self.path) from exc
        except OSError as exc:
            raise ReleaseError(f"cannot read: {exc.strerror}", path=self.path) from exc
        if len(data) > MAX_BYTES:
            raise ReleaseError("is too large for a MOF release file", path=self.path)
        try:
            doc = load_yaml(data)
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date
            raise ReleaseError(f"is not valid YAML: {exc}", path=self.path) from exc
        try:
            jsonschema.validate(doc, _schema())
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
            raise ReleaseError(
                f"fails the MOF schema at {where}: {shorten(exc.message)}",
                path=self.path,
                hint="see the Model Openness Tool's sample_model.yml",
            ) from exc
        release = doc["release"]
        glob = release.get("license") or {}
        declared: list[DeclaredComponent] = []
        skipped: list[Skipped] = []
        for entry in release.get("components") or []:
            name = str(entry.get("name", ""))
            kind = MofComponent.by_name(name)
            if kind is None:
                skipped.append(Skipped(name, "not a MOF component name"))
                continue
            if "license" in entry:
                own = entry.get("license")
                licence = None if own in (None, "", "unlicensed") else str(own).strip()
                source = "component licence"
            else:
                licence, source = self._inherit(glob, kind.spec.content_type)
            declared.append(
                DeclaredComponent(
                    name=kind.spec.name,
                    licence=licence,
                    licence_source=source,
                    path=str(entry.get("component_path") or ""),
                    description=str(entry.get("description") or ""),
                )
            )
        return Release(
            name=str(release["name"]),
            kind="mof-file",
            location=str(self.path),
            declared=tuple(declared),
            skipped=tuple(skipped),
            metadata={k: v for k, v in release.items() if k not in ("components", "license")}
            | {"license": glob},
        )

    @staticmethod
    def _inherit(glob: dict[str, Any], content_type: str) -> tuple[str | None, str]:
        if (name := _licence_name(glob.get(content_type))) is not None:
            return name, f"release {content_type} licence"
        if (name := _licence_name(glob.get("distribution"))) is not None:
            return name, "release distribution licence"
        return None, "no licence declared"
