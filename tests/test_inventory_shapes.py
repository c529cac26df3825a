"""Card-only inventories placed once per shape give the documents a fresh placing gives.

Releases of every kind a bulk scan meets (generated Hub rows, the example releases as Hub
rows with and without their small texts, cards written the odd ways makers write them) are
audited with the shapes memo and without it, in several orders, and their JSON documents
compared byte for byte.
"""

from __future__ import annotations

import importlib.util
import random
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from clearweights.audit import _inventory, audit_collected
from clearweights.audit.model import AuditReport, ReleaseAudit
from clearweights.components import MofComponent
from clearweights.formats.json import document
from clearweights.inventory import _shapes
from clearweights.release.model import Release, ReleaseFile
from clearweights.scale import sources_for
from clearweights.scale.rows import TextPool, row_item
from clearweights.scale.worker import audit_document, collect, fast_document
from tests.scale_corpus import NAMES, hub_row

_BENCH = Path(__file__).resolve().parent.parent / "bench" / "scan_releases.py"


def _generate(path: Path, count: int) -> None:
    """The bench's Hub-like dump (``bench/scan_releases.generate``): bench/ is no package."""
    spec = importlib.util.spec_from_file_location("scan_releases", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(path, count)


_FILES = ["README.md", "config.json", "model.safetensors", "tokenizer.json"]

# Front matter as makers write it: dual licences as a list, SPDX expressions, "other" with a
# licence name, numbers and booleans YAML reads as such, a model-index, links and datasets.
_ODD_FRONTS = [
    "license:\n- mit\n- cc-by-nc-4.0\n",
    "license: apache-2.0 OR mit\n",
    "license: MIT AND CC-BY-NC-4.0\n",
    "license: other\nlicense_name: llama3.1\nlicense_link: LICENSE\n",
    "license: other\nlicense_name: gemma-terms-of-use\n",
    "license_name: apache-2.0\n",
    "license: 1\n",
    "license: true\n",
    "license: unknown\n",
    "license:\n- llama3\n- 2\n",
    "license:\n- [mit]\n- {name: apache-2.0}\n",  # no key can hold a mapping
    "license: openrail++\n",
    "license: apache-2.0\n",
    "license: cc-by-sa-4.0\ndatasets:\n- HuggingFaceFW/fineweb\n- 1\n",
    # The model-index as the zephyr-7b-beta card writes it (trimmed to one result).
    "license: apache-2.0\nmodel-index:\n- name: zephyr-7b-beta\n  results:\n  - task:\n"
    "      type: text-generation\n      name: Text Generation\n    dataset:\n"
    "      name: AI2 Reasoning Challenge (25-Shot)\n      type: ai2_arc\n"
    "      config: ARC-Challenge\n      split: test\n    metrics:\n"
    "       - type: acc_norm\n         name: normalized accuracy\n"
    "         value: 62.03071672354948\n",
]
_BODY = (
    "\n# A model\n\nSee the paper at https://arxiv.org/abs/2306.05284 and the training code at "
    "https://github.com/facebookresearch/audiocraft.\n"
)


def _odd_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    listings = [
        _FILES,
        [*_FILES, "LICENSE"],
        [*_FILES, "LICENSE-MODEL", "LICENSE-CODE", "musicgen.py", "demo.py"],
        ["README.md", "modeling_musicgen.py", "train.py", "checkpoint-500/config.json"],
        ["README.md", "weights/license.txt", "eval/results.json", "USE_POLICY.md"],
    ]
    for n, front in enumerate(_ODD_FRONTS):
        for m, files in enumerate(listings):
            # The same listing under two names: musicgen.py is named after one of them.
            for name in ("org/musicgen-small", f"org/other-{n}-{m}"):
                card = f"---\n{front}---\n{_BODY if n % 2 else ''}"
                siblings = [{"rfilename": f, "size": 100 * (n + 1)} for f in files]
                rows.append(
                    {"id": name, "sha": f"{n}{m}{name}", "card": card, "siblings": siblings}
                )
    rows.append({"id": "org/no-card", "sha": "1", "siblings": [{"rfilename": "x.py"}]})
    rows.append({"id": "org/data-only", "sha": "2", "cardData": {"license": "mit"}})
    rows.append({"id": "org/tag-only", "sha": "3", "tags": ["license:apache-2.0"],
                 "siblings": [{"rfilename": "README.md"}]})  # fmt: skip
    return rows


def _listed_only(name: str) -> dict[str, Any]:
    """An example release as a Hub row that lists its files but carries none of their texts."""
    row = hub_row(name)
    row["texts"] = {}
    row["id"] = f"listed/{name}"
    return row


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Release, str]]:
    folder = tmp_path_factory.mktemp("shapes")
    dump = folder / "rows.jsonl"
    _generate(dump, 200)
    items = [item for source in sources_for([str(dump)]) for item in source.items()]
    rows = _odd_rows() + [hub_row(n) for n in NAMES] + [_listed_only(n) for n in NAMES]
    items += [row_item(row, f"row {i}") for i, row in enumerate(rows)]
    pool = TextPool(str(folder / "texts"))
    # Each under its own location: one repo id stands for several rows here.
    return [(collect(item, pool), f"{n}:{item.key}") for n, item in enumerate(items)]


def _documents(releases: list[tuple[Release, str]]) -> dict[str, tuple[str, str]]:
    out = {}
    for release, location in releases:
        assert location not in out
        audit = audit_collected(release, location)
        plain = audit_document(document(AuditReport((audit,))))
        out[location] = (plain, fast_document(audit)[1])
    return out


def _clear() -> None:
    _shapes._memo.clear()
    _shapes._links.clear()


def test_documents_are_the_same_with_and_without_the_shapes(
    releases: list[tuple[Release, str]],
) -> None:
    _clear()
    with _shapes.disabled():
        fresh = _documents(releases)
    assert not _shapes._memo
    shuffled = list(releases)
    random.Random(5).shuffle(shuffled)
    for order in (releases, releases[::-1], shuffled):
        _clear()
        assert _documents(order) == fresh
        # Most card-only releases share a shape with another one.
        assert 0 < len(_shapes._memo) < len(releases) // 2


def test_a_release_with_texts_is_placed_afresh(releases: list[tuple[Release, str]]) -> None:
    with_texts = [r for r, _ in releases if any(f.absolute for f in r.files)]
    assert with_texts  # the example releases' licence texts and config.json
    _clear()
    for release in with_texts:
        assert _shapes.shape_key(release, {}, None) is None
        assert audit_collected(release, release.name).components
    assert not _shapes._memo and not _shapes._links  # nothing of theirs is kept


def _release(name: str = "org/m", files: tuple[str, ...] = ("README.md",), **card: Any) -> Release:
    from clearweights.release.model import CardData

    listed = tuple(ReleaseFile(f, 10, "") for f in files)
    return Release(name, "hf-metadata", name, files=listed, card=CardData(**card))


def test_the_key_holds_everything_placing_reads() -> None:
    base = _release(license="mit")
    key = _shapes.shape_key(base, {}, None)
    changed = [
        _release(license="apache-2.0"),
        _release(license=["mit"]),
        _release(license="mit", license_name="apache-2.0"),
        _release(license="mit", model_index=({"name": "m"},)),
        _release(license="mit", path="docs/README.md"),
        _release(files=("README.md", "LICENSE"), license="mit"),
        _release(files=("LICENSE", "README.md"), license="mit"),
    ]
    for release in changed:
        assert _shapes.shape_key(release, {}, None) != key
    # A number and a boolean are equal in Python, not in the text a licence is looked up by.
    assert _shapes.shape_key(_release(license=["1"]), {}, None) != _shapes.shape_key(
        _release(license=[1]), {}, None
    )
    assert _shapes.shape_key(_release(license=[1]), {}, None) != _shapes.shape_key(
        _release(license=[True]), {}, None
    )
    # The release's name names its code: it is read when a Python file may be named after it.
    code = ("README.md", "musicgen.py")
    named = _shapes.shape_key(_release("org/musicgen-small", code, license="mit"), {}, None)
    other = _shapes.shape_key(_release("org/other", code, license="mit"), {}, None)
    assert named != other
    assert _shapes.shape_key(_release("org/other", license="mit"), {}, None) == key
    # So does config.json's model type.
    config = {"model_type": "musicgen"}
    assert _shapes.shape_key(_release("org/other", code, license="mit"), config, None) != other


def test_no_caller_changes_another_callers_inventory() -> None:
    _clear()
    # A LICENSE listed, not fetched: the weights are unlicensed, not the card's MIT.
    release = _release(files=("LICENSE", "README.md", "config.json"), license="mit")
    first, absent = _inventory(release, {}, None)
    second, _ = _inventory(release, {}, None)
    assert absent
    assert first == second
    assert first.components is not second.components
    assert first.index is not None and first.index is not second.index
    weights = first.components[MofComponent.MODEL_PARAMETERS_FINAL]
    assert weights.licences == () and weights.licence_name is None
    assert first.place("x.bin", MofComponent.MODEL_PARAMETERS_FINAL, "r").licences == ()
    # Without licence files, the card speaks for the weights.
    card_only, _ = _inventory(_release(files=("README.md",), license="mit"), {}, None)
    placed = card_only.place("x.bin", MofComponent.MODEL_PARAMETERS_FINAL, "r")
    assert [lic.id for lic in placed.licences] == ["MIT"]
    first.components.clear()
    third, _ = _inventory(release, {}, None)
    assert MofComponent.MODEL_PARAMETERS_FINAL in third.components
    assert third == second


def test_the_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear()
    monkeypatch.setattr(_shapes, "MAX_ENTRIES", 8)
    for n in range(30):
        release = _release(files=("README.md", f"file-{n}.json"), license="mit")
        audit: ReleaseAudit = audit_collected(release, release.name)
        assert audit.components
    assert len(_shapes._memo) == 8


def test_an_audit_and_its_subject_have_every_field(
    releases: list[tuple[Release, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clearweights.frameworks import AuditSubject
    from clearweights.frameworks._memo import evaluate

    seen: list[AuditSubject] = []

    def keep(subject: AuditSubject, *args: Any) -> Any:
        seen.append(subject)
        return evaluate(subject, *args)

    monkeypatch.setattr("clearweights.audit.evaluate", keep)
    release, location = releases[0]
    audit = audit_collected(release, location)
    for made in (audit, seen[0]):
        assert set(vars(made)) == {f.name for f in fields(type(made))}
    assert audit == ReleaseAudit(**vars(audit))
    assert seen[0] == AuditSubject(**vars(seen[0]))
