"""Fine-tuning part 2 end to end on CPU: a tiny Llama-shaped base built here, samples in the
shape `generate` writes, a real judge server process, a real signature."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

from clearweights.audit import audit_release
from clearweights.bom.signing import verify
from clearweights.errors import UsageError
from clearweights.policy import load_policy
from clearweights.tune import (
    EvalConfig,
    ReleaseSpec,
    TrainConfig,
    evaluate,
    load_samples,
    plan,
    provenance,
    release,
    train,
)
from clearweights.tune.eval_report import FORMATS, to_dict
from tests.generate_servers.fixtures import FixtureTeacher, fixture_teacher
from tests.test_bom import _keys
from tests.tune_models import build_base, facts, vocabulary, write_samples

__all__ = ["fixture_teacher"]

ROWS = facts(24)
# The judge gives 5 when the candidate repeats the reference, 1 otherwise.
JUDGE_RULES: list[dict[str, Any]] = [
    {"match": r"Reference answer: (.*?)\nCandidate answer: \1\n", "reply": "Score: 5"},
    {"match": ".", "reply": "Score: 1"},
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("tune")
    base = build_base(root / "base", vocabulary(ROWS))
    data = write_samples(root / "data.jsonl", ROWS)
    config = TrainConfig(
        base=str(base), data=data, output=root / "run", max_steps=40, batch_size=8,
        learning_rate=2e-2, rank=4, alpha=8, threads=1, max_length=128, holdout=0.0,
        save_steps=20,
    )  # fmt: skip
    return {"root": root, "base": base, "data": data, "result": train(config)}


def test_training_loss_is_finite_and_falls(trained: dict[str, Any]) -> None:
    result = trained["result"]
    losses = result.losses
    assert result.steps == 40 and len(losses) == 40
    assert all(math.isfinite(loss) for loss in losses)
    assert sum(losses[-5:]) / 5 < 0.85 * sum(losses[:5]) / 5
    names = {p.name for p in result.adapter.iterdir()}
    assert "adapter_model.safetensors" in names and not any(n.endswith(".bin") for n in names)
    summary = json.loads((result.adapter.parent / "training.json").read_text())
    assert summary["hyperparameters"]["rank"] == 4 and summary["tokens"] > 0


def test_training_resumes_from_its_checkpoint(trained: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained["root"] / "run", run)  # the module's run stays as it was
    assert (run / "checkpoint-40").is_dir()
    config = TrainConfig(
        base=str(trained["base"]), data=trained["data"], output=run, max_steps=44,
        batch_size=8, learning_rate=2e-2, rank=4, alpha=8, threads=1, max_length=128,
        holdout=0.0, save_steps=20,
    )  # fmt: skip
    again = train(config)
    first = trained["result"].losses
    assert again.steps == 44 and len(again.losses) == 44
    assert again.losses[:40] == first  # continued from step 40, not started again


def _broken_adapter(good: Path, target: Path) -> Path:
    """The good adapter with its LoRA B matrices replaced by noise: a broken candidate."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    shutil.copytree(good, target)
    weights = load_file(str(good / "adapter_model.safetensors"))
    gen = torch.Generator().manual_seed(1)
    broken = {k: (torch.randn(v.shape, generator=gen) * 3 if "lora_B" in k else v)
              for k, v in weights.items()}  # fmt: skip
    save_file(broken, str(target / "adapter_model.safetensors"))
    return target


def test_evaluation_decides_by_interval(
    trained: dict[str, Any], fixture_teacher: FixtureTeacher
) -> None:
    fixture_teacher.rules(JUDGE_RULES)
    data = write_samples(trained["root"] / "eval.jsonl", ROWS)
    adapter = trained["result"].adapter
    improved = evaluate(EvalConfig(
        base=str(trained["base"]), candidate=adapter, data=data, holdout=0.99,
        judge_url=fixture_teacher.url, judge_model="judge", max_new_tokens=12, resamples=500,
    ))  # fmt: skip
    choice = {r.leaf: r for r in improved.leaves if r.metric == "choice"}
    assert choice and all(r.interval.decision == "improved" for r in choice.values())
    assert improved.judge["rubric_sha256"] and improved.passed
    broken = _broken_adapter(adapter, trained["root"] / "broken")
    worse = evaluate(EvalConfig(
        base=str(trained["base"]), baseline=adapter, candidate=broken, data=data, holdout=0.99,
        resamples=500, general=False,
    ))  # fmt: skip
    assert worse.regressions and not worse.passed
    doc = to_dict(worse)
    assert doc["schema_version"] == 1 and doc["passed"] is False
    for render in FORMATS.values():
        assert "regressed" in render(worse)
    assert "<script" not in FORMATS["html"](worse) and "<svg" in FORMATS["html"](worse)


def test_open_release_passes_its_own_audit_and_signature(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    private, public = _keys(tmp_path, __import__("cryptography.hazmat.primitives.asymmetric.ec",
                                                 fromlist=["ec"]).SECP256R1())  # fmt: skip
    samples = load_samples(trained["data"])
    audit = audit_release(str(trained["base"]))
    gate = plan(audit, provenance(samples), policy=load_policy("pragmatic")[0])
    assert gate.allowed and gate.derived_license == "Apache-2.0"
    assert any("credit" in d.text for d in gate.duties)  # CC-BY data: attribution
    spec = ReleaseSpec(
        output=tmp_path / "release", name="tiny-capitals", base=str(trained["base"]),
        base_repo="example/tiny-base", adapter=trained["result"].adapter, plan=gate,
        datasets=("example/capitals-sdg",), teacher="tiny-teacher", sign_key=private,
        verify_key=public,
    )  # fmt: skip
    result = release(spec)
    assert result.expected_open and result.policy_passed, result.violations
    files = set(result.files)
    assert {"README.md", "LICENSE", "NOTICE", "adapter_model.safetensors", "bom.cdx.json",
            "bom.spdx.json", "model.sig"} <= files  # fmt: skip
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    cdx = json.loads((spec.output / "bom.cdx.json").read_text())
    assert any(c.get("bom-ref") == "teacher:tiny-teacher" for c in cdx["components"])
    card = (spec.output / "README.md").read_text()
    assert "base_model: example/tiny-base" in card and "base_model_relation: adapter" in card
    (spec.output / "README.md").write_text(card + "\ntampered\n")
    check = verify(spec.output, public)
    assert not check.ok and "README.md" in check.changed


def _llama_base(root: Path) -> Path:
    return build_base(root, vocabulary(ROWS), license_id="llama3.1",
                      license_file="LicenseRef-scancode-llama-3.1-license-2024.txt")  # fmt: skip


def test_llama_base_apache_claim_is_corrected_and_release_honest(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    base = _llama_base(tmp_path / "llama-base")
    gate = plan(audit_release(str(base)), provenance(load_samples(trained["data"])),
                claimed_license="apache-2.0")  # fmt: skip
    assert "llama-3.1" in gate.derived_license and gate.correction
    assert gate.name_prefix == "Llama"
    assert any('"Built with Llama"' in d.text for d in gate.duties)
    spec = ReleaseSpec(
        output=tmp_path / "out", name="tiny-capitals", base=str(base),
        base_repo="example/tiny-llama", adapter=trained["result"].adapter, plan=gate,
    )  # fmt: skip
    with pytest.raises(UsageError, match="begin with 'Llama'"):
        release(spec)
    assert not (tmp_path / "out").exists()
    named = ReleaseSpec(**{**spec.__dict__, "name": "Llama-tiny-capitals"})
    result = release(named)
    assert not result.expected_open and not result.policy_passed  # restricted, said so
    card = (named.output / "README.md").read_text()
    assert "license: llama3.1" in card and "Built with Llama" in card


def test_llama3_teacher_refuses_a_non_llama_student(
    tmp_path: Path, trained: dict[str, Any]
) -> None:
    data = write_samples(tmp_path / "d.jsonl", ROWS,
                         teacher_license="LicenseRef-clearweights-llama-3")  # fmt: skip
    prov = provenance(load_samples(data))
    audit = audit_release(str(trained["base"]))
    refused = plan(audit, prov, student="qwen")
    assert not refused.allowed
    assert "improve any other large language model" in refused.refusals[0].reason
    assert plan(audit, prov, student="llama-3").allowed
    assert not plan(audit, prov, student="llama-2").allowed  # another Llama line


def test_non_commercial_data_refused_under_commercial_policy(
    tmp_path: Path, trained: dict[str, Any]
) -> None:
    data = write_samples(tmp_path / "nc.jsonl", ROWS, document_license="CC-BY-NC-4.0")
    gate = plan(audit_release(str(trained["base"])), provenance(load_samples(data)),
                policy=load_policy("commercial-product")[0])  # fmt: skip
    assert not gate.allowed
    assert any(r.source == "data" and r.license == "CC-BY-NC-4.0" for r in gate.refusals)


def test_cli_train_refuses_before_training(
    tmp_path: Path, trained: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from clearweights.cli.main import main

    data = write_samples(tmp_path / "d.jsonl", ROWS,
                         teacher_license="LicenseRef-clearweights-llama-3")  # fmt: skip
    code = main(["train", "--base", str(trained["base"]), "--data", str(data),
                 "-o", str(tmp_path / "run"), "--student-family", "mistral"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "REFUSED (teacher" in err and "improve any other large language model" in err
    gate = json.loads((tmp_path / "run" / "gate.json").read_text())
    assert gate["allowed"] is False and not (tmp_path / "run" / "adapter").exists()


def test_cli_evaluate_then_release(tmp_path: Path, trained: dict[str, Any]) -> None:
    from clearweights.cli.main import main

    run = trained["root"] / "run"
    report = tmp_path / "eval.json"
    code = main(["evaluate", "--base", str(trained["base"]), "--candidate", str(run / "adapter"),
                 "--data", str(trained["data"]), "--holdout", "0.99", "--format", "json",
                 "-o", str(report), "-q"])  # fmt: skip
    assert code == 0 and json.loads(report.read_text())["passed"] is True
    out = tmp_path / "release"
    code = main(["release", str(run), "--base", str(trained["base"]), "--base-repo", "org/tiny",
                 "--data", str(trained["data"]), "--name", "tiny-capitals", "--evaluation",
                 str(report), "-o", str(out), "-q"])  # fmt: skip
    assert code == 0
    card = (out / "README.md").read_text()
    assert "model-index:" in card and "license: apache-2.0" in card
    # The release names its base; checked without a copy of it, the inherited licence is unknown.
    assert main(["check", str(out), "--policy", "pragmatic", "-q"]) == 1
    base = f"org/tiny={trained['base']}"
    assert main(["check", str(out), "--policy", "pragmatic", "--base", base, "-q"]) == 0


def test_merged_release_is_base_plus_lora_delta_and_passes_its_checks(
    trained: dict[str, Any], tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    from clearweights.cli.main import main

    private, public = _keys(tmp_path, __import__("cryptography.hazmat.primitives.asymmetric.ec",
                                                 fromlist=["ec"]).SECP256R1())  # fmt: skip
    gate = plan(audit_release(str(trained["base"])), provenance(load_samples(trained["data"])))
    adapter = trained["result"].adapter
    spec = ReleaseSpec(
        output=tmp_path / "merged", name="tiny-capitals", base=str(trained["base"]),
        base_repo="example/tiny-base", adapter=adapter, plan=gate, merged=True,
        sign_key=private, verify_key=public,
    )  # fmt: skip
    result = release(spec)
    assert result.expected_open and result.policy_passed, result.violations
    files = set(result.files)
    assert {"model.safetensors", "config.json", "adapter/adapter_model.safetensors",
            "adapter/adapter_config.json", "LICENSE", "model.sig"} <= files  # fmt: skip
    assert not any(f.endswith((".bin", ".pt", ".pkl", ".pth")) for f in files)
    # Every adapted layer is W + (alpha / r) B A; every other tensor is the base's, unchanged.
    base = load_file(str(trained["base"] / "model.safetensors"))
    merged = load_file(str(spec.output / "model.safetensors"))
    lora = load_file(str(adapter / "adapter_model.safetensors"))
    config = json.loads((adapter / "adapter_config.json").read_text())
    scale = config["lora_alpha"] / config["r"]
    assert set(merged) == set(base)
    adapted = 0
    for name, weight in base.items():
        stem = "base_model.model." + name.removesuffix(".weight")
        if f"{stem}.lora_A.weight" in lora:
            delta = lora[f"{stem}.lora_B.weight"] @ lora[f"{stem}.lora_A.weight"] * scale
            assert delta.abs().max() > 1e-4  # training moved it
            assert (merged[name] - (weight + delta)).abs().max() < 1e-5, name
            adapted += 1
        else:
            assert (merged[name] == weight).all(), name
    assert adapted == 14  # 7 linear layers in each of the 2 blocks
    card = (spec.output / "README.md").read_text()
    assert "base_model_relation: finetune" in card and "library_name: transformers" in card
    out = str(spec.output)
    assert main(["audit", out, "--base", f"example/tiny-base={trained['base']}", "-q"]) == 0
    base_map = f"example/tiny-base={trained['base']}"
    assert main(["check", out, "--policy", "pragmatic", "--base", base_map, "-q"]) == 0
    assert main(["verify", out, "--key", str(public), "-q"]) == 0
    (spec.output / "adapter" / "adapter_config.json").write_text("{}\n")
    assert main(["verify", out, "--key", str(public), "-q"]) == 1
