"""Write a fine-tune as a Hugging Face-layout release whose licence, duties and lineage are
right by construction, then prove it with clearweights' own audit, policy check and signature.

The release step fails when the release it wrote does not pass what its inputs allow: an
open base with permissive data must pass the pragmatic policy; a restricted base must be
reported as restricted, under the base's licence, with every duty carried.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearweights.audit import audit_release
from clearweights.audit.model import ReleaseAudit
from clearweights.components import MofComponent
from clearweights.errors import ClearweightsError, UsageError
from clearweights.licenses import get
from clearweights.tune import card
from clearweights.tune.eval_report import to_json
from clearweights.tune.evaluate import EvalReport
from clearweights.tune.gate import GatePlan

ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "chat_template.jinja", "tokenizer.model")  # fmt: skip


class ReleaseCheckFailed(ClearweightsError):
    """The release just written does not pass the checks its inputs allow."""


@dataclass(frozen=True)
class ReleaseSpec:
    """What to release."""

    output: Path
    name: str
    base: str  # the base model's local release (audited for its licence files)
    base_repo: str  # the base's Hub id for ``base_model``
    adapter: Path
    plan: GatePlan
    training: dict[str, Any] = field(default_factory=dict)
    evaluation: EvalReport | None = None
    datasets: tuple[str, ...] = ()
    teacher: str | None = None
    merged: bool = False
    sign_key: Path | None = None
    verify_key: Path | None = None  # the public key, to verify the signature just made
    sign_password: str | None = None


@dataclass(frozen=True)
class ReleaseResult:
    """The release and the proof: its audit, the pragmatic policy's answer, the signature."""

    path: Path
    audit: ReleaseAudit
    policy_passed: bool
    violations: tuple[str, ...]
    expected_open: bool
    files: tuple[str, ...]
    signature: Path | None = None


def _check_name(spec: ReleaseSpec) -> None:
    prefix = spec.plan.name_prefix
    if prefix and not spec.name.startswith(prefix):
        raise UsageError(
            f"the base model's licence requires the name to begin with {prefix!r}: "
            f"{spec.name!r} does not",
            hint=f"name it e.g. {prefix}-{spec.name}",
        )


def _copy_licence_files(base_audit: ReleaseAudit, out: Path) -> list[str]:
    """Carry the base release's licence, notice and use-policy files, under the same names."""
    root = Path(base_audit.release.location) if base_audit.release else None
    copied = []
    for lf in base_audit.licence_files:
        source = root / lf.path if root else None
        if source is None or not source.is_file():
            continue
        target = out / lf.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(lf.path)
    return copied


MERGED_ADAPTER_DIR = "adapter"  # with --merged: the full weights at the top, the adapter here


def _copy_adapter(spec: ReleaseSpec, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in ADAPTER_FILES + TOKENIZER_FILES:
        if (spec.adapter / name).is_file():
            shutil.copyfile(spec.adapter / name, target / name)
    config_path = target / "adapter_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = spec.base_repo  # not the trainer's local path
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write_weights(spec: ReleaseSpec, out: Path) -> None:
    """The adapter; with ``merged``, the merged full model (safetensors) at the top, which
    transformers loads as is, and the adapter beside it in ``adapter/``."""
    if not spec.merged:
        _copy_adapter(spec, out)
        return
    from clearweights.tune.train import load_base

    model, tokenizer = load_base(spec.base, adapter=spec.adapter)
    merged = model.merge_and_unload()
    merged.config.name_or_path = spec.base_repo  # not the trainer's local path
    merged.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    _copy_adapter(spec, out / MERGED_ADAPTER_DIR)


INFERENCE = """\
# SPDX-License-Identifier: Apache-2.0
# Written by clearweights for this release: load the base model, apply the adapter, answer.
import sys

from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

BASE = {base!r}


def main(question: str, release: str = ".") -> str:
    tokenizer = AutoTokenizer.from_pretrained(release)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(BASE), release)
    prompt = tokenizer.apply_chat_template(
        [{{"role": "user", "content": question}}], add_generation_prompt=True, tokenize=False
    )
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    out = model.generate(**ids, max_new_tokens=128, do_sample=False)
    return tokenizer.decode(out[0][ids["input_ids"].shape[1] :], skip_special_tokens=True)


if __name__ == "__main__":
    print(main(" ".join(sys.argv[1:])))
"""


def _notice(spec: ReleaseSpec) -> str:
    lines = [f"{spec.name}", "", f"A derivative of {spec.base_repo} ({spec.plan.derived_license})."]
    lines += [f"{d.text} ({d.license})" for d in spec.plan.duties if d.source != "data"]
    return "\n".join(lines) + "\n"


def write_files(spec: ReleaseSpec) -> list[str]:
    """Write the release's files (weights, card, licence files, NOTICE, evaluation)."""
    _check_name(spec)
    out = spec.output
    if out.exists() and any(out.iterdir()):
        raise UsageError("the output folder is not empty", path=out,
                         hint="choose a new folder; nothing was written")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    base_audit = audit_release(spec.base, profiles=())
    _write_weights(spec, out)
    copied = _copy_licence_files(base_audit, out)
    (out / "NOTICE").write_text(_notice(spec), encoding="utf-8")
    if not spec.merged:
        (out / "inference.py").write_text(INFERENCE.format(base=spec.base_repo), encoding="utf-8")
    readme = card.render(spec.name, spec.plan, spec.base_repo, spec.datasets, spec.evaluation,
                         spec.training, spec.teacher, spec.merged)  # fmt: skip
    (out / "README.md").write_text(readme, encoding="utf-8")
    if spec.evaluation is not None:
        (out / "evaluation.json").write_text(to_json(spec.evaluation), encoding="utf-8")
    if not copied and spec.plan.base_licences:
        raise ReleaseCheckFailed("the base release has no licence file to carry",
                                 path=spec.base)  # fmt: skip
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _teacher_component(doc: dict[str, Any], spec: ReleaseSpec) -> None:
    """The teacher in the CycloneDX lineage: a model component that produced the data."""
    if not spec.teacher:
        return
    doc.setdefault("components", []).append({
        "type": "machine-learning-model", "bom-ref": f"teacher:{spec.teacher}",
        "name": spec.teacher, "description": "teacher model that generated the training data",
        "properties": [{"name": "clearweights:role", "value": "teacher"}] + [
            {"name": "clearweights:teacher-license", "value": t}
            for t in spec.plan.teacher_licenses],
    })  # fmt: skip


def write_boms(spec: ReleaseSpec, audit: ReleaseAudit) -> list[str]:
    """CycloneDX 1.6 and SPDX 3.0.1 of the written release, validated before they are kept."""
    from clearweights.bom import BomInvalidError, validate_document
    from clearweights.bom.cyclonedx import build as build_cdx
    from clearweights.bom.spdx3 import build as build_spdx
    from clearweights.bom.subject import build_subject

    subject = build_subject(audit)
    cdx = json.loads(build_cdx(subject, "1.6"))
    _teacher_component(cdx, spec)
    documents = {"bom.cdx.json": json.dumps(cdx, indent=2, sort_keys=True) + "\n",
                 "bom.spdx.json": build_spdx(subject)}  # fmt: skip
    for name, text in documents.items():
        _, problems = validate_document(text)
        if problems:
            raise BomInvalidError("; ".join(map(str, problems[:5])), path=spec.output / name)
        (spec.output / name).write_text(text, encoding="utf-8")
    return list(documents)


def _weights_ids(audit: ReleaseAudit) -> tuple[str, ...]:
    weights = next(
        (c for c in audit.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
    )
    return tuple(sorted(lic.id for lic in weights.licences)) if weights else ()


def expected_open(plan: GatePlan) -> bool:
    """Whether the inputs allow an open release: an OSI base and data without NC terms."""
    if not plan.base_licences:
        return False
    base_open = all(get(i).osi_approved for i in plan.base_licences)
    data = [get(i) for i in plan.data_licenses if i not in ("", "unknown")]
    data_ok = all(not lic.terms.non_commercial.value and not lic.terms.research_only.value
                  for lic in data) and "unknown" not in plan.data_licenses  # fmt: skip
    return base_open and data_ok


def _honesty(spec: ReleaseSpec, audit: ReleaseAudit) -> list[str]:
    """What a restricted release must show: the base's licence and every duty."""
    problems = []
    if _weights_ids(audit) != tuple(sorted(spec.plan.base_licences)):
        problems.append(f"the audit reads the weights licence as {_weights_ids(audit) or 'unknown'}"
                        f", not the base model's {spec.plan.derived_license}")  # fmt: skip
    readme = (spec.output / "README.md").read_text(encoding="utf-8")
    problems += [f"the card does not carry the duty: {d.text}" for d in spec.plan.duties
                 if d.text not in readme]  # fmt: skip
    return problems


def prove(spec: ReleaseSpec) -> ReleaseResult:
    """Audit the written release, apply the pragmatic policy, and check it is what its inputs
    allow; sign it when a key is given and verify the signature.

    Raises:
        ReleaseCheckFailed: the release does not pass what its inputs allow.
    """
    from datetime import date

    from clearweights.policy import load_policy
    from clearweights.policy.model import CheckContext

    bases = {"*": spec.base}
    audit = audit_release(str(spec.output), bases=bases)
    if audit.error:
        raise ReleaseCheckFailed(f"the release cannot be audited: {audit.error}", path=spec.output)
    write_boms(spec, audit)
    signature = None
    if spec.sign_key is not None:
        from clearweights.bom.signing import sign, verify

        signature = sign(spec.output, spec.sign_key, password=spec.sign_password)
        if spec.verify_key is not None and not verify(spec.output, spec.verify_key).ok:
            raise ReleaseCheckFailed("the signature just made does not verify", path=signature)
    audit = audit_release(str(spec.output), bases=bases)
    policy, base_dir = load_policy("pragmatic")
    violations, _ = policy.apply(CheckContext(audit, date.today(), base_dir))
    messages = tuple(v.message for v in violations)
    problems = _honesty(spec, audit)
    should_pass = expected_open(spec.plan)
    if should_pass and violations:
        problems.append("an open base with permissive data must pass the pragmatic policy: "
                        + "; ".join(messages))  # fmt: skip
    if problems:
        raise ReleaseCheckFailed("; ".join(problems), path=spec.output)
    files = sorted(p.relative_to(spec.output).as_posix() for p in spec.output.rglob("*")
                   if p.is_file())  # fmt: skip
    return ReleaseResult(spec.output, audit, not violations, messages, should_pass,
                         tuple(files), signature)  # fmt: skip


def release(spec: ReleaseSpec) -> ReleaseResult:
    """Write the release (:func:`write_files`) and prove it (:func:`prove`)."""
    write_files(spec)
    return prove(spec)
