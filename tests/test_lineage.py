"""Lineage: fine-tunes, adapters, merges and quantisations carry their base model's licence."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import jsonschema
import pytest

from clearweights.audit import audit_release
from clearweights.cli.main import main
from clearweights.components import MofComponent
from clearweights.lineage import families, family_of
from clearweights.policy import check, load_policy

from .conftest import corpus

ROOT = Path(__file__).resolve().parent.parent
LLAMA_31 = "LicenseRef-scancode-llama-3.1-license-2024"
WEIGHTS = MofComponent.MODEL_PARAMETERS_FINAL

TRAINER_COMMENT = (
    "<!-- This model card has been generated automatically according to the information the "
    "Trainer had access to. You\nshould probably proofread and complete it, then remove this "
    "comment. -->"
)
# How the Trainer / PEFT write the card of a LoRA adapter (fields and wording as generated).
ADAPTER_CARD = """\
---
base_model: {base}
library_name: peft
license: {licence}
tags:
- trl
- sft
- generated_from_trainer
model-index:
- name: support-bot-lora
  results: []
---

{comment}

# support-bot-lora

This model is a fine-tuned version of [{base}](https://huggingface.co/{base}) on the None dataset.
It achieves the following results on the evaluation set:
- Loss: 1.0412

## Model description

More information needed

## Intended uses & limitations

More information needed

## Training procedure

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: 0.0002
- train_batch_size: 4
- seed: 42
- num_epochs: 3

### Framework versions

- PEFT 0.12.0
- Transformers 4.44.2
- Pytorch 2.4.0
"""

# A full fine-tune's card as the alignment-handbook writes it.
FULL_CARD = """\
---
library_name: transformers
license: {licence}
base_model: {base}
tags:
- alignment-handbook
- generated_from_trainer
datasets:
- HuggingFaceH4/deita-10k-v0-sft
model-index:
- name: ref_teacher
  results: []
---

# ref_teacher

This model is a fine-tuned version of [{base}](https://huggingface.co/{base}) on the
HuggingFaceH4/deita-10k-v0-sft dataset.
"""

BASE_CARD = """\
---
language:
- en
license: {licence}
pipeline_tag: text-generation
{extra}---

# {name}

A base language model pretrained on web text.
"""


def _safetensors(path: Path, tensors: dict[str, list[int]]) -> None:
    """A real safetensors file of float32 zeros with the given shapes."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in tensors.items():
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))


def _adapter(folder: Path, base: str, licence: str = "apache-2.0") -> Path:
    folder.mkdir(parents=True)
    card = ADAPTER_CARD.format(base=base, licence=licence, comment=TRAINER_COMMENT)
    (folder / "README.md").write_text(card, "utf-8")
    config = {
        "base_model_name_or_path": base,
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": 16,
        "lora_alpha": 32,
        "target_modules": ["q_proj", "v_proj"],
    }
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2), "utf-8")
    _safetensors(
        folder / "adapter_model.safetensors",
        {
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": [16, 64],
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": [64, 16],
        },
    )
    return folder


def _licence_text(spdx_id: str) -> str:
    return corpus("licences", f"{spdx_id}.txt").read_text(encoding="utf-8")


def _cache_base(cache: Path, repo_id: str, files: dict[str, str]) -> Path:
    """A base model's snapshot laid out as huggingface_hub caches it (blobs + symlinks)."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    revision = "0e9e39f249a16976918f6564b8830bc894c89659"
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision, "utf-8")
    for i, (name, text) in enumerate(sorted(files.items())):
        blob = repo / "blobs" / f"blob{i:02d}"
        blob.write_text(text, "utf-8")
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / blob.name)
    return snapshot


@pytest.fixture(autouse=True)
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts with its own empty Hugging Face cache."""
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def test_apache_adapter_of_llama_carries_the_llama_licence(tmp_path: Path) -> None:
    release = _adapter(tmp_path / "support-bot-lora", "meta-llama/Llama-3.1-8B")
    (release / "LICENSE").write_text(_licence_text("Apache-2.0"), "utf-8")
    result = audit_release(str(release))
    assert result.error is None
    (base,) = result.lineage.bases
    assert (base.repo_id, base.relation, base.resolved_by) == (
        "meta-llama/Llama-3.1-8B",
        "adapter",
        "family",
    )
    assert "adapter_model.safetensors" in base.relation_source
    assert str(result.lineage.inherited) == LLAMA_31
    weights = next(c for c in result.components if c.kind is WEIGHTS)
    assert weights.licence_name == f"Apache-2.0 AND {LLAMA_31}"
    assert "inherited from meta-llama/Llama-3.1-8B (adapter)" in weights.licence_source
    dropped = [f for f in result.findings if f.code == "LIN-DROPPED"]
    assert len(dropped) == 1 and dropped[0].severity.value == "high"
    assert "Llama 3.1 Community License" in dropped[0].message
    assert result.findings[0].severity.value == "high"  # most severe first
    for profile in result.profiles:
        assert profile.verdict.value != "pass", profile.profile
    duties = {(o.kind, o.licence): o.text for o in result.obligations}
    assert duties[("naming", LLAMA_31)].endswith('"Llama"')
    assert duties[("attribution", LLAMA_31)] == 'Display "Built with Llama"'
    assert ("lineage", LLAMA_31) in duties
    assert any(
        o.kind == "use-policy" and "Acceptable Use Policy" in o.text for o in result.obligations
    )


def test_inherited_licence_counts_in_policies(tmp_path: Path) -> None:
    release = _adapter(tmp_path / "support-bot-lora", "meta-llama/Llama-3.1-8B")
    pragmatic, base = load_policy("pragmatic")
    report = check([str(release)], pragmatic, base=base)
    assert not report.passed
    rules = {v.rule for v in report.checks[0].violations}
    assert {"licences.weights", "terms.user_threshold", "terms.acceptable_use_policy"} <= rules
    commercial, base = load_policy("commercial-product")
    levels = {
        v.rule: v.level for v in check([str(release)], commercial, base=base).checks[0].violations
    }
    assert levels["terms.user_threshold"] == "warning"


def test_card_only_release_still_reports_lineage(tmp_path: Path) -> None:
    release = tmp_path / "ref_teacher"
    release.mkdir()
    card = FULL_CARD.format(licence="apache-2.0", base="meta-llama/Llama-3.1-8B")
    (release / "README.md").write_text(card, "utf-8")
    result = audit_release(str(release))
    (base,) = result.lineage.bases
    assert base.relation == "finetune" and base.relation_source.startswith("assumed")
    assert [f.code for f in result.findings if f.code.startswith("LIN")] == ["LIN-DROPPED"]
    assert any(o.kind == "naming" and o.licence == LLAMA_31 for o in result.obligations)


def test_honest_llama_finetune_has_no_lineage_finding(tmp_path: Path) -> None:
    release = tmp_path / "Llama-3.1-support-chat"
    release.mkdir()
    card = FULL_CARD.format(licence="llama3.1", base="meta-llama/Llama-3.1-8B")
    (release / "README.md").write_text(card, "utf-8")
    (release / "LICENSE").write_text(_licence_text(LLAMA_31), "utf-8")
    (release / "USE_POLICY.md").write_text(
        _licence_text("LicenseRef-clearweights-llama-3.1-aup"), "utf-8"
    )
    _safetensors(release / "model.safetensors", {"lm_head.weight": [8, 8]})
    result = audit_release(str(release))
    assert not [f for f in result.findings if f.code.startswith("LIN")]
    weights = next(c for c in result.components if c.kind is WEIGHTS)
    assert weights.licence_name == LLAMA_31


def test_permissive_base_is_not_dropped(tmp_path: Path) -> None:
    release = _adapter(tmp_path / "qwen-lora", "Qwen/Qwen2.5-7B-Instruct", licence="mit")
    (release / "LICENSE").write_text(_licence_text("MIT"), "utf-8")
    result = audit_release(str(release))
    assert str(result.lineage.inherited) == "Apache-2.0"
    assert not [f for f in result.findings if f.code.startswith("LIN")]
    weights = next(c for c in result.components if c.kind is WEIGHTS)
    assert weights.licence_name == "MIT AND Apache-2.0"
    assert all(lic.osi_approved for lic in weights.licences)


def test_base_read_from_the_local_cache_and_its_own_base(tmp_path: Path, empty_cache: Path) -> None:
    _cache_base(
        empty_cache,
        "acme-research/base-7b",
        {
            "README.md": BASE_CARD.format(
                licence="cc-by-nc-4.0",
                name="base-7b",
                extra="base_model: meta-llama/Llama-3.1-8B\nbase_model_relation: finetune\n",
            ),
            "LICENSE": _licence_text("CC-BY-NC-4.0"),
            "config.json": json.dumps({"architectures": ["LlamaForCausalLM"]}),
        },
    )
    release = _adapter(tmp_path / "chat-lora", "acme-research/base-7b", licence="mit")
    result = audit_release(str(release))
    direct, grand = result.lineage.bases
    assert (direct.repo_id, direct.resolved_by, str(direct.expression)) == (
        "acme-research/base-7b",
        "cache",
        "CC-BY-NC-4.0",
    )
    assert "LICENSE" in direct.licence_source
    assert (grand.repo_id, grand.via, grand.relation, grand.resolved_by) == (
        "meta-llama/Llama-3.1-8B",
        "acme-research/base-7b",
        "finetune",
        "family",
    )
    dropped = {lic.id for _, lic in result.lineage.dropped}
    assert dropped == {"CC-BY-NC-4.0", LLAMA_31}
    commercial, base = load_policy("commercial-product")
    violations = check([str(release)], commercial, base=base).checks[0].violations
    assert any(v.rule == "terms.non_commercial" and v.level == "error" for v in violations)


def test_base_given_as_a_path_wins_over_the_family_table(tmp_path: Path) -> None:
    local = tmp_path / "mistral-7b-internal"
    local.mkdir()
    (local / "README.md").write_text(
        BASE_CARD.format(licence="other", name="Mistral 7B, internal build", extra=""), "utf-8"
    )
    (local / "LICENSE").write_text(_licence_text("GPL-3.0-only"), "utf-8")
    release = _adapter(tmp_path / "tool-lora", "mistralai/Mistral-7B-v0.1")
    (release / "LICENSE").write_text(_licence_text("Apache-2.0"), "utf-8")
    from_family = audit_release(str(release))
    assert str(from_family.lineage.inherited) == "Apache-2.0"
    result = audit_release(str(release), bases={"*": str(local)})
    (base,) = result.lineage.bases
    assert (base.resolved_by, str(base.expression)) == ("path", "GPL-3.0-only")
    assert [lic.id for _, lic in result.lineage.dropped] == ["GPL-3.0-only"]


def test_unknown_base_says_unknown(tmp_path: Path) -> None:
    release = _adapter(tmp_path / "mystery-lora", "someone/obscure-model-7b")
    (release / "LICENSE").write_text(_licence_text("Apache-2.0"), "utf-8")
    result = audit_release(str(release))
    (base,) = result.lineage.bases
    assert base.expression is None and base.resolved_by == "unknown"
    assert "not in the local Hugging Face cache" in base.licence_source
    unknown = [f for f in result.findings if f.code == "LIN-UNKNOWN"]
    assert len(unknown) == 1 and "--base" in unknown[0].message
    weights = next(c for c in result.components if c.kind is WEIGHTS)
    # The base's licence travels with the adapter even when unknown: never assumed open.
    assert weights.licence_name == (
        "Apache-2.0 AND LicenseRef-clearweights-unknown-base-model-someone-obscure-model-7b"
    )
    assert not all(lic.osi_approved for lic in weights.licences)
    redhat = next(p for p in result.profiles if p.profile == "redhat")
    assert redhat.verdict.value != "pass"


@pytest.mark.parametrize(
    ("card_extra", "files", "relation"),
    [
        ("base_model_relation: quantized\n", {}, "quantized"),
        ("", {"model-Q4_K_M.gguf": b"GGUF"}, "quantized"),
        ("tags:\n- mergekit\n- merge\n", {}, "merge"),
    ],
)
def test_relation_inferred_like_the_hub(
    tmp_path: Path, card_extra: str, files: dict[str, bytes], relation: str
) -> None:
    release = tmp_path / "derived"
    release.mkdir()
    card = BASE_CARD.format(
        licence="apache-2.0", name="derived", extra=f"base_model: google/gemma-2-9b\n{card_extra}"
    )
    (release / "README.md").write_text(card, "utf-8")
    for name, data in files.items():
        (release / name).write_bytes(data)
    result = audit_release(str(release))
    (base,) = result.lineage.bases
    assert base.relation == relation
    assert base.licences[0].id == "LicenseRef-scancode-gemma-tou-2024-04-01"
    assert [f.code for f in result.findings if f.code.startswith("LIN")] == ["LIN-DROPPED"]


def test_several_bases_make_a_merge(tmp_path: Path) -> None:
    release = tmp_path / "merged"
    release.mkdir()
    extra = "base_model:\n- Qwen/Qwen2.5-7B\n- Qwen/Qwen2.5-72B-Instruct\n"
    (release / "README.md").write_text(
        BASE_CARD.format(licence="apache-2.0", name="merged", extra=extra), "utf-8"
    )
    result = audit_release(str(release))
    assert [b.relation for b in result.lineage.bases] == ["merge", "merge"]
    assert [str(b.expression) for b in result.lineage.bases] == [
        "Apache-2.0",
        "LicenseRef-scancode-qwen-2024",
    ]
    assert [lic.id for _, lic in result.lineage.dropped] == ["LicenseRef-scancode-qwen-2024"]


def test_family_table_is_data_with_sources() -> None:
    table = families()
    assert len(table) >= 15
    assert all(f.source and f.patterns for f in table)
    cases = {
        "meta-llama/Llama-3.1-8B": LLAMA_31,
        "meta-llama/Meta-Llama-3.1-70B-Instruct": LLAMA_31,
        "meta-llama/Meta-Llama-3-8B": "LicenseRef-clearweights-llama-3",
        "google/gemma-3-4b-it": "LicenseRef-scancode-gemma-tou-2025-03-24",
        "mistralai/Mistral-7B-Instruct-v0.3": "Apache-2.0",
        "mistralai/Codestral-22B-v0.1": "LicenseRef-clearweights-mistral-mnpl-0.1",
        "Qwen/Qwen2.5-3B-Instruct": "LicenseRef-clearweights-qwen-research",
        "Qwen/Qwen2.5-Coder-7B": "Apache-2.0",
    }
    cases["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"] = f"MIT AND {LLAMA_31}"
    for repo_id, expected in cases.items():
        family = family_of(repo_id)
        assert family is not None and str(family.expression) == expected, repo_id
    assert family_of("mistralai/Some-Future-Model") is None
    assert family_of("someone/llama-3.1-finetune") is None


def test_lineage_in_the_json_report_and_boms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = _adapter(tmp_path / "support-bot-lora", "meta-llama/Llama-3.1-8B")
    (release / "LICENSE").write_text(_licence_text("Apache-2.0"), "utf-8")
    main(["audit", str(release), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    schema = json.loads((ROOT / "docs" / "audit-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    lineage = report["audits"][0]["lineage"]
    assert lineage["bases"][0]["resolved_by"] == "family"
    assert lineage["dropped"] == [LLAMA_31]
    cdx = tmp_path / "aibom.cdx.json"
    assert main(["bom", str(release), "--format", "cyclonedx", "-o", str(cdx)]) == 0
    assert main(["bom", "validate", str(cdx)]) == 0
    ancestor = json.loads(cdx.read_text("utf-8"))["metadata"]["component"]["pedigree"]
    names = [lic["license"]["name"] for lic in ancestor["ancestors"][0]["licenses"]]
    assert names == [f"Llama 3.1 Community License Agreement ({LLAMA_31})"]


def test_base_option_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = _adapter(tmp_path / "tool-lora", "acme/internal-base")
    local = tmp_path / "internal-base"
    local.mkdir()
    (local / "LICENSE").write_text(_licence_text("CC-BY-NC-4.0"), "utf-8")
    code = main(
        ["audit", str(release), "--base", f"acme/internal-base={local}", "--format", "json"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["audits"][0]["lineage"]["bases"][0]["license"] == "CC-BY-NC-4.0"
    assert main(["audit", str(release), "--base", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    spdx = tmp_path / "aibom.spdx3.json"
    assert (
        main(["bom", str(release), "--format", "spdx3", "--base", str(local), "-o", str(spdx)]) == 0
    )
    expressions = {
        n["simplelicensing_licenseExpression"]
        for n in json.loads(spdx.read_text("utf-8"))["@graph"]
        if n["type"] == "simplelicensing_LicenseExpression"
    }
    assert "Apache-2.0 AND CC-BY-NC-4.0" in expressions
    assert (
        main(["check", str(release), "--policy", "commercial-product", "--base", str(local)]) == 1
    )


def test_meta_notice_is_not_a_declared_licence(tmp_path: Path) -> None:
    release = tmp_path / "support-chat"
    release.mkdir()
    card = FULL_CARD.format(licence="apache-2.0", base="meta-llama/Llama-3.1-8B-Instruct")
    (release / "README.md").write_text(card, "utf-8")
    (release / "NOTICE").write_text(
        "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta "
        "Platforms, Inc. All Rights Reserved.\n",
        "utf-8",
    )
    _safetensors(release / "model.safetensors", {"lm_head.weight": [8, 8]})
    result = audit_release(str(release))
    assert [lic.id for lic in result.lineage.declared] == ["Apache-2.0"]
    assert [f.code for f in result.findings if f.code.startswith("LIN")] == ["LIN-DROPPED"]


def test_a_bare_base_path_is_not_guessed_onto_one_of_several(tmp_path: Path) -> None:
    local = tmp_path / "some-base"
    local.mkdir()
    (local / "LICENSE").write_text(_licence_text("GPL-3.0-only"), "utf-8")
    release = tmp_path / "merged"
    release.mkdir()
    extra = "base_model:\n- acme/left-7b\n- acme/right-7b\n"
    (release / "README.md").write_text(
        BASE_CARD.format(licence="apache-2.0", name="merged", extra=extra), "utf-8"
    )
    bare = audit_release(str(release), bases={"*": str(local)})
    assert [b.resolved_by for b in bare.lineage.bases] == ["unknown", "unknown"]
    named = audit_release(str(release), bases={"acme/right-7b": str(local)})
    assert [b.resolved_by for b in named.lineage.bases] == ["unknown", "path"]
    assert [f.code for f in named.findings if f.code.startswith("LIN")] == [
        "LIN-DROPPED",
        "LIN-UNKNOWN",
    ]


def test_dual_licence_wording_never_offers_a_restricted_licence_as_a_choice() -> None:
    from clearweights.licenses import get
    from clearweights.licenses._catalogue import load
    from clearweights.licenses._expression import expression_in

    text = (
        "The code is dual-licensed under MIT or Apache-2.0. The model weights are released "
        "under the Llama 3.1 Community License."
    )
    licences = [get("MIT"), get("Apache-2.0"), get("llama3.1")]
    expression = expression_in(text, licences, load())
    assert expression is not None and expression.operator == "AND"
    wrapped = "GPL-3.0, or (at your option)\nany later version; weights: Llama 3.1"
    expression = expression_in(wrapped, [get("GPL-3.0-only"), get("llama3.1")], load())
    assert expression is not None and expression.operator == "AND"


def test_a_hub_metadata_row_never_reads_this_machines_cache(
    tmp_path: Path, empty_cache: Path
) -> None:
    from clearweights.audit import audit_collected
    from clearweights.scale.rows import TextPool, row_item, row_release

    card = FULL_CARD.format(licence="apache-2.0", base="acme-research/base-7b")
    row = row_item({"id": "acme/chat", "sha": "1" * 40, "card": card}, "rows:1")
    texts = tmp_path / "texts"
    texts.mkdir()

    def row_base() -> tuple[str, str, str]:
        release = row_release(row, TextPool(str(texts)))
        (base,) = audit_collected(release, "acme/chat").lineage.bases
        return base.resolved_by, str(base.expression), base.licence_source

    before = row_base()
    _cache_base(
        empty_cache,
        "acme-research/base-7b",
        {"README.md": "# base-7b\n", "LICENSE": _licence_text("CC-BY-NC-4.0")},
    )
    # The same row gives the same audit wherever it is scanned: the Hub's word, not this cache.
    assert row_base() == before == ("unknown", "None", before[2])
    assert "never on a local cache" in before[2] and "not in the local" not in before[2]
    folder = tmp_path / "chat"
    folder.mkdir()
    (folder / "README.md").write_text(card, "utf-8")
    (base,) = audit_release(str(folder)).lineage.bases  # a local release still reads the cache
    assert (base.resolved_by, str(base.expression)) == ("cache", "CC-BY-NC-4.0")
