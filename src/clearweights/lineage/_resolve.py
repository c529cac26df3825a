"""Find a release's base models and read their licences: user path, local cache, family."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path, PurePosixPath

from clearweights._untrusted import MAX_CONFIG_BYTES, read_head, read_json
from clearweights.components import MofComponent
from clearweights.errors import ClearweightsError
from clearweights.licenses._expression import LicenceExpression, all_of
from clearweights.lineage.families import family_of
from clearweights.lineage.model import RELATIONS, BaseModel
from clearweights.release.model import HUB_METADATA, Release

MAX_DEPTH = 4  # bases of bases followed through local copies
_HUB_URL = re.compile(r"^https?://(?:www\.)?huggingface\.co/")
_ADAPTER_FILES = {"adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"}
_ADAPTER_TAGS = {"lora", "peft", "qlora", "adapter"}
_MERGE_TAGS = {"merge", "mergekit"}
_QUANT_TAGS = {"gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized"}
MAX_BASES = 16  # a card naming more is read up to here (a merge rarely has more)


def _adapter_base(release: Release) -> str | None:
    """``base_model_name_or_path`` of the release's adapter_config.json (PEFT), if any."""
    entry = next((f for f in release.files if f.path == "adapter_config.json"), None)
    if entry is None or entry.size > MAX_CONFIG_BYTES:
        return None
    try:
        config = read_json(entry.absolute, MAX_CONFIG_BYTES)
    except (OSError, ValueError):
        return None
    value = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


@functools.lru_cache(maxsize=4096)  # a scan names the same few thousand bases again and again
def _normalise(repo_id: str) -> str:
    return _HUB_URL.sub("", repo_id.strip()).strip("/")


def base_ids(release: Release) -> tuple[str, ...]:
    """The base models the card names, then the adapter config's, once each."""
    card = [_normalise(b) for b in release.card.base_model] if release.card else []
    adapter = _adapter_base(release)
    found = [*card, *([_normalise(adapter)] if adapter else [])]
    return tuple(dict.fromkeys(b for b in found if b))[:MAX_BASES]


def _name(path: str) -> str:
    """PurePosixPath(path).name without a path object per file (a Hub row lists every file of
    the repository): the last part, unless it is empty or "." (then the path object says)."""
    name = path.rpartition("/")[2]
    return name if name not in ("", ".") else PurePosixPath(path).name


def relation_of(release: Release) -> tuple[str, str]:
    """How the release derives from its bases, and how that was decided."""
    card = release.card
    stated = (card.base_model_relation or "").strip().lower() if card else ""
    if stated in RELATIONS:
        return stated, f"{card.path if card else 'model card'}: base_model_relation: {stated}"
    names = {_name(f.path).lower() for f in release.files}
    tags = {t.lower() for t in card.tags} if card else set()
    if names & _ADAPTER_FILES:
        found = ", ".join(sorted(names & _ADAPTER_FILES))
        return "adapter", f"inferred: adapter files in the release ({found})"
    if len(card.base_model if card else ()) > 1 or tags & _MERGE_TAGS:
        return "merge", "inferred: several base models or a merge tag"
    if any(n.endswith(".gguf") for n in names) or tags & _QUANT_TAGS:
        return "quantized", "inferred: GGUF files or a quantisation tag"
    if tags & _ADAPTER_TAGS:
        return "adapter", "inferred: a LoRA / PEFT tag"
    return "finetune", "assumed: base_model without base_model_relation"


def cache_root() -> Path:
    """The Hugging Face hub cache, as huggingface_hub finds it (read at call time)."""
    env = os.environ
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    if env.get("HUGGINGFACE_HUB_CACHE"):
        return Path(env["HUGGINGFACE_HUB_CACHE"]).expanduser()
    home = env.get("HF_HOME") or str(Path(env.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface")
    return Path(home).expanduser() / "hub"


def cached_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot of a model repo: the one ``refs/main`` names, else the newest."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id):
        return None
    repo = cache_root() / f"models--{repo_id.replace('/', '--')}"
    try:
        revision = read_head(repo / "refs" / "main", 256)[0].decode("utf-8").strip()
        if revision and (repo / "snapshots" / revision).is_dir():
            return repo / "snapshots" / revision
        snapshots = [p for p in (repo / "snapshots").iterdir() if p.is_dir()]
    except (OSError, ValueError):  # ValueError: refs/main not a regular file or not UTF-8
        return None
    return max(snapshots, key=lambda p: p.stat().st_mtime, default=None)


def _open(path: Path, repo_id: str, kind: str) -> Release | None:
    from clearweights.sources.local import LocalDirectory

    root = path.parent.parent if kind == "hf-cache" else path
    try:
        return LocalDirectory(path, root=root, name=repo_id, kind=kind).collect()
    except ClearweightsError:
        return None


def _local_licence(base: Release) -> tuple[LicenceExpression | None, str]:
    """A local copy's licence: its weights', card component's, licence files' or card's."""
    from clearweights.inventory import build_inventory

    inventory = build_inventory(base)
    for kind in (MofComponent.MODEL_PARAMETERS_FINAL, MofComponent.MODEL_CARD):
        component = inventory.components.get(kind)
        if component is not None and component.licence_expression is not None:
            return component.licence_expression, component.licence_source
    top = [lf for lf in inventory.licence_files if "/" not in lf.path and lf.licences]
    if top:
        files = all_of(lf.expression or all_of(lf.licences) for lf in top)
        return files, ", ".join(lf.path for lf in top)
    declared = all_of(inventory.card_licences)
    return declared, "model card license metadata" if declared else ""


def _one(
    repo_id: str,
    relation: tuple[str, str],
    bases: dict[str, str],
    via: str | None,
    cache: bool = True,
) -> tuple[BaseModel, Release | None]:
    given = bases.get(repo_id) or (bases.get("*") if via is None else None)
    local: Release | None = None
    if given and Path(given).is_dir():
        local, how = _open(Path(given), repo_id, "directory"), "path"
    elif not cache:
        return _known(repo_id, relation, via, cached=False), None
    elif (snapshot := cached_snapshot(repo_id)) is not None:
        local, how = _open(snapshot, repo_id, "hf-cache"), "cache"
    if local is not None:
        expression, source = _local_licence(local)
        if expression is not None:
            where = f"{local.location}: {source}"
            return BaseModel(repo_id, *relation, expression, how, where, via), local
    if local is not None:
        known = _known(repo_id, relation, via)
        if known.resolved_by == "family":
            return known, local
        reason = f"{local.location} states no licence, and it is not a known family"
        return BaseModel(repo_id, *relation, None, "unknown", reason, via), local
    return _known(repo_id, relation, via), None


@functools.lru_cache(maxsize=4096)  # bulk scans name the same few thousand bases again and again
def _known(
    repo_id: str, relation: tuple[str, str], via: str | None, *, cached: bool = True
) -> BaseModel:
    """The base model as the table of known families gives it, else unknown (and why).

    *cached* says whether the local Hugging Face cache was looked in (not for Hub rows).
    """
    family = family_of(repo_id) or family_of("/".join(PurePosixPath(repo_id).parts[-2:]))
    if family is not None:
        source = f"known base-model family {family.patterns[0]} ({family.source})"
        return BaseModel(repo_id, *relation, family.expression, "family", source, via)
    reason = (
        "not given with --base, not in the local Hugging Face cache, not a known family"
        if cached
        else "not given with --base, not a known family (a Hub metadata row is judged on the "
        "Hub's data alone, never on a local cache)"
    )
    return BaseModel(repo_id, *relation, None, "unknown", reason, via)


def resolve(
    release: Release, bases: dict[str, str], ids: tuple[str, ...] | None = None
) -> tuple[BaseModel, ...]:
    """Every base model of *release*, and their bases as far as local copies go.

    A path given for ``"*"`` stands for the base model only when there is exactly one.
    *ids*: ``base_ids(release)``, when the caller has them.
    """
    ids = base_ids(release) if ids is None else ids
    if len(ids) > 1:
        bases = {k: v for k, v in bases.items() if k != "*"}
    # A Hub metadata row is judged on what the Hub says, never on this machine's cache: the
    # same row gives the same audit wherever it is scanned.
    cache = release.kind != HUB_METADATA
    out: list[BaseModel] = []
    seen = {release.name}
    queue: list[tuple[Release, str | None, int]] = [(release, None, 0)]
    while queue:
        current, via, depth = queue.pop(0)
        relation = relation_of(current)
        for repo_id in ids if current is release else base_ids(current):
            if repo_id in seen:
                continue
            seen.add(repo_id)
            found, local = _one(repo_id, relation, bases, via, cache)
            out.append(found)
            if local is not None and depth + 1 < MAX_DEPTH:
                queue.append((local, repo_id, depth + 1))
    return tuple(out)
