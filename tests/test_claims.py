"""Openness claims on real model cards, and card-only audits that judge them like full ones."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from clearweights.audit import audit_release
from clearweights.audit.model import ReleaseAudit, Severity
from clearweights.components import MofComponent
from clearweights.release.card import parse_card
from clearweights.release.claims import find_statements

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "tests" / "corpus" / "cards"
EXAMPLES = ROOT / "examples" / "releases"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")

# card: the sentence that makes the claim (a part of it), from the card text or its tags.
CLAIMS = {
    "deepseek-llm-7b-chat.md": "we have made DeepSeek LLM 7B/67B Base and DeepSeek LLM 7B/67B Chat "
    "open source for the research community",
    "qwen-7b-chat.md": "We open-source our Qwen series",
    "openchat-llama2-13b.md": "OpenLLMs is a series of open-source language models",
    "vicuna-13b-v1.5.md": "Vicuna is an open-source family of chatbots",
    "llama3-chinese-chat.md": "is a fully open-source Chinese and English chat model",
    "gemma-ko-7b.md": "Gemma-Ko is an open source Korean language model",
    "command-r-roleplay.md": "A 100% open source creative writing model",
    "sd-fantasy-art.md": "Fantasy Art Diffusion is an open-source text-to-image model",
    "bloomz-chat-fr.md": "is a truly open-source French chat model",
    "codestral-finetune.md": "We are open-sourcing Codestral-SQL-22B",
    "llama31-tags-only.md": "tags: open-source",
    "llama32-osai.md": "Tiny-Edu-3B is open source AI for classrooms",
    "baichuan2-7b-chat.md": "Baichuan 2 is the new generation of large-scale open-source language",
    "baichuan-13b-chat.md": "Baichuan-13B is an open-source, commercially available",
    "yi-34b.md": "The Yi series models are the next generation of open-source large language",
    "internlm-chat-7b.md": "InternLM has open-sourced a 7 billion parameter base model",
}
# Custom licences the catalogue has no text for: unclear, never called open.
# Licences known by a name that does not say which licence (yi-license: Yi 1.0 or 2.1) or not at
# all; Baichuan 2's community licence is in the catalogue, so its card is open-washing.
UNRESOLVED = {"baichuan-13b-chat.md", "yi-34b.md", "internlm-chat-7b.md"}
# card: an "open weights" statement it makes (information only), or None.
HONEST = {
    "llama-2-7b-chat.md": None,
    "meta-llama-3-8b-instruct.md": None,
    "llama-3.1-8b-instruct.md": None,
    "gemma-7b.md": "with open weights, pre-trained variants",
    "c4ai-command-r-plus.md": "is an open weights research release",
    "falcon-180b.md": None,
    "vicuna-7b-v1.5.md": None,
    "llama-2-13b-chat-gguf.md": None,
    "olmo-7b.md": None,
    "bloom.md": None,
    "mixtral-8x7b-instruct.md": None,
    "llama3-axolotl-finetune.md": None,
    "llama-3.2-3b-not-open-source.md": "the weights are openly available for download",
}
# Words of comparison and link lines the evidence must never cite.
NOT_EVIDENCE = ("outperform", "framework", "compared", "Leaderboard", "http")


def card_only(tmp_path: Path, card: Path) -> Path:
    """A release as `hf download --include "*.md" "*.json"` leaves it: card and metadata."""
    release = tmp_path / card.stem
    release.mkdir()
    shutil.copyfile(card, release / "README.md")
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16}
    (release / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (release / "tokenizer_config.json").write_text('{"model_max_length": 4096}', encoding="utf-8")
    return release


def codes(result: ReleaseAudit, *severities: Severity) -> set[str]:
    return {f.code for f in result.findings if not severities or f.severity in severities}


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_the_claiming_sentence_is_found(name: str) -> None:
    card = parse_card((CARDS / "claims" / name).read_text(encoding="utf-8"))
    texts = [text for _, text in card.claims]
    assert any(CLAIMS[name] in t for t in texts), texts
    assert not any(word in t for t in texts for word in NOT_EVIDENCE), texts


@pytest.mark.parametrize("name", sorted(set(CLAIMS) - UNRESOLVED))
def test_card_only_release_that_claims_open_source_is_open_washing(
    tmp_path: Path, name: str
) -> None:
    result = audit_release(str(card_only(tmp_path, CARDS / "claims" / name)))
    finding = next(f for f in result.findings if f.code == "OW-LIC")
    assert finding.severity is Severity.HIGH
    assert any(CLAIMS[name] in e for e in finding.evidence), finding.evidence
    assert all(e.startswith("README.md:") for e in finding.evidence)
    assert not any(word in e for e in finding.evidence for word in NOT_EVIDENCE)
    assert "weights not present" in finding.message
    assert "OW-RESTRICT" in codes(result)  # every licence here restricts use


@pytest.mark.parametrize("name", sorted(UNRESOLVED))
def test_claim_under_an_unknown_custom_licence_is_unclear_not_open(
    tmp_path: Path, name: str
) -> None:
    result = audit_release(str(card_only(tmp_path, CARDS / "claims" / name)))
    assert "OW-UNCLEAR" in codes(result)
    assert "OW-LIC" not in codes(result)
    weights = next(c for c in result.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL)
    assert not weights.licences
    redhat = result.profile("redhat")
    assert redhat is not None and redhat.verdict.value != "pass"


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_cards_raise_no_high_finding(tmp_path: Path, name: str) -> None:
    result = audit_release(str(card_only(tmp_path, CARDS / "honest" / name)))
    assert not codes(result, Severity.HIGH), result.findings
    assert not {"OW-LIC", "OW-RESTRICT", "OW-OSAID"} & codes(result)
    statement = HONEST[name]
    card = result.release.card if result.release else None
    assert card is not None
    if statement is None:
        assert "OPEN-WEIGHTS" not in codes(result)
        return
    finding = next(f for f in result.findings if f.code == "OPEN-WEIGHTS")
    assert finding.severity is Severity.INFO
    assert any(statement in e for e in finding.evidence), finding.evidence


def test_a_true_claim_under_an_open_licence_is_no_finding(tmp_path: Path) -> None:
    result = audit_release(str(card_only(tmp_path, CARDS / "honest" / "olmo-7b.md")))
    card = result.release.card if result.release else None
    assert card is not None and card.claims  # "OLMo is a fully open ... model"
    assert not codes(result, Severity.HIGH, Severity.MEDIUM)


def test_open_source_ai_claims_from_text_and_tags(tmp_path: Path) -> None:
    result = audit_release(str(card_only(tmp_path, CARDS / "claims" / "llama32-osai.md")))
    assert "OW-OSAID" in codes(result)
    tagged = tmp_path / "tagged.md"
    tagged.write_text(
        "---\nlicense: llama3.1\ntags:\n- open-source-ai\n---\n# Model\n", encoding="utf-8"
    )
    result = audit_release(str(card_only(tmp_path, tagged)))
    finding = next(f for f in result.findings if f.code == "OW-OSAID")
    assert finding.evidence[0] == "README.md:4: tags: open-source-ai"


def test_claims_and_comparisons_in_one_card(tmp_path: Path) -> None:
    text = (CARDS / "claims" / "llama3-chinese-chat.md").read_text(encoding="utf-8")
    card = parse_card(text)
    assert len(card.claims) == 1
    line, sentence = card.claims[0]
    assert text.splitlines()[line - 1].startswith("Llama3-8B-Chinese-Chat-Open is a fully")
    assert sentence.endswith("with ORPO.")  # the sentence, not the comparison after it


# Sentences as cards write them: (sentence, "claim" / "weights" / None).
SENTENCES = [
    ("InternLM has open-sourced a 7 billion parameter base model.", "claim"),
    ("This model is released under an open-source license.", "claim"),
    ("Our model is 100% open source.", "claim"),
    ("Zephyr is the best open-source model in its class.", "claim"),
    ("Vicuna: An Open-Source Chatbot Impressing GPT-4 with 90% ChatGPT Quality", "claim"),
    ("We release the weights as open source under the Llama 3 license.", "claim"),
    ("Llama 2-Chat models outperform open-source chat models on most benchmarks.", None),
    ("We thank the open-source community for their contributions.", None),
    ("See the [open source release notes](https://example.com/notes).", None),
    ("Vicuna-13B is competitive compared to other open-source models like Alpaca.", None),
    ("The Llama 2 license is not an open source license as defined by the OSI.", None),
    ("We use vLLM, an open-source inference engine.", None),
    ("Inference is supported by open source libraries such as llama.cpp and vLLM.", None),
    ("It achieves state-of-the-art results among open-source models of its size.", None),
    ("This model is a fine-tune of the open-source Mistral 7B.", None),
    ("`pip install open-source-llm` installs the client.", None),
    ('<img src="https://x.y/open-source.png" alt="open source badge">', None),
    ("Open-source models such as Llama and Mistral have narrowed the gap.", None),
    ("We believe open source is the future of AI.", None),
    ("Our commitment to open source AI remains strong.", None),
    ("The code is open source (MIT), the weights are under the Llama 3 license.", None),
    ("We plan to open-source the training code soon.", None),
    ("Is this model open source? No.", None),
    ("## Open Source", None),
    ("Unlike closed models, Mixtral is open source.", "claim"),
    ("Open-source 7B chat model trained on 2T tokens.", "claim"),
    ("The model weights are openly available under the Llama 3.1 Community License.", "weights"),
    ("Phi-3 outperforms other open-weight models of its size.", None),
]


@pytest.mark.parametrize(("sentence", "kind"), SENTENCES)
def test_sentence_kinds(sentence: str, kind: str | None) -> None:
    found = find_statements(sentence)
    assert bool(found.claims) == (kind == "claim")
    assert bool(found.open_weights) == (kind == "weights")


def test_a_claim_in_a_wrapped_paragraph_cites_its_own_line() -> None:
    body = (
        "# Model\n\nThis card describes a 7B model trained on web text and\n"
        "code. It is a fully open model, and\nit outperforms other open models.\n"
    )
    claims = find_statements(body, first_line=5).claims
    assert claims == ((8, "It is a fully open model, and it outperforms other open models."),)


EXAMPLE_WEIGHTS_CRITERIA = ("redhat.weights-licence", "eu.licence", "osaid.parameters")


@pytest.mark.parametrize(
    "name",
    ["open-washing", "deepseek-pattern", "llama-3.1-finetune", "gemma-release", "cc-by-nc-release"],
)
def test_metadata_only_release_gets_the_verdicts_of_the_full_one(tmp_path: Path, name: str) -> None:
    release = tmp_path / name
    shutil.copytree(EXAMPLES / name, release)
    full = audit_release(str(release))
    for path in list(release.rglob("*")):
        if path.suffix in WEIGHT_SUFFIXES:
            path.unlink()
    partial = audit_release(str(release))
    licence_codes = {"OW-LIC", "OW-RESTRICT", "OW-META", "OW-UNCLEAR", "OW-OSAID"}
    assert codes(partial) & licence_codes == codes(full) & licence_codes
    by_kind = {c.kind: c for c in partial.components}
    weights = by_kind[MofComponent.MODEL_PARAMETERS_FINAL]
    full_weights = next(c for c in full.components if c.kind is weights.kind)
    assert weights.paths == () and weights.licence_name == full_weights.licence_name
    assert "weights not present" in weights.reason
    for criterion_id in EXAMPLE_WEIGHTS_CRITERIA:
        assert _status(partial, criterion_id) == _status(full, criterion_id) or (
            _status(full, criterion_id) == "pass" and _status(partial, criterion_id) == "unknown"
        )
    assert _status(partial, "redhat.weights") == "unknown"
    assert "not verified: weights not present" in _evidence(partial, "redhat.weights")
    assert _status(partial, "eu.weights-public") == "unknown"
    mof = partial.profile("mof")
    assert mof is not None and any("weights not present" in w for w in mof.warnings)


def _criterion(result: ReleaseAudit, ident: str) -> tuple[str, tuple[str, ...]]:
    for profile in result.profiles:
        for c in profile.criteria:
            if c.id == ident:
                return c.status.value, c.evidence
    raise AssertionError(ident)


def _status(result: ReleaseAudit, ident: str) -> str:
    return _criterion(result, ident)[0]


def _evidence(result: ReleaseAudit, ident: str) -> tuple[str, ...]:
    return _criterion(result, ident)[1]


def test_open_licence_without_weights_is_unknown_not_pass(tmp_path: Path) -> None:
    release = card_only(tmp_path, CARDS / "honest" / "mixtral-8x7b-instruct.md")
    result = audit_release(str(release))
    assert _status(result, "redhat.weights-licence") == "pass"  # Apache-2.0, as declared
    assert _status(result, "osaid.parameters") == "unknown"
    assert "not verified: weights not present" in _evidence(result, "osaid.parameters")
    redhat = result.profile("redhat")
    assert redhat is not None and redhat.verdict.value != "pass"


def test_unrecognised_licence_file_is_named(tmp_path: Path) -> None:
    release = tmp_path / "custom"
    shutil.copytree(EXAMPLES / "cc-by-nc-release", release)
    (release / "LICENSE").write_text(
        "Model Licence\n\nYou may use these weights as agreed in your contract with us.\n",
        encoding="utf-8",
    )
    card = (release / "README.md").read_text(encoding="utf-8")
    (release / "README.md").write_text(
        card.replace("license: cc-by-nc-4.0", "license: other"), encoding="utf-8"
    )
    result = audit_release(str(release))
    finding = next(f for f in result.findings if f.code == "OW-UNCLEAR")
    assert "LICENSE" in finding.message and "not recognised" in finding.message
    assert "no licence that can be resolved" not in finding.message
    assert any(e.startswith("LICENSE: present") for e in finding.evidence)


def test_no_licence_at_all_says_so(tmp_path: Path) -> None:
    release = tmp_path / "bare"
    release.mkdir()
    (release / "README.md").write_text("# Tiny model\n\nA small test model.\n", encoding="utf-8")
    (release / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    result = audit_release(str(release))
    finding = next(f for f in result.findings if f.code == "OW-UNCLEAR")
    assert finding.message.startswith("No licence found for the weights")


def test_card_without_front_matter_prints_no_hub_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "plain-card"
    shutil.copytree(EXAMPLES / "cc-by-nc-release", release)
    (release / "README.md").write_text(
        "# Plain card\n\nThis model is released under CC-BY-NC-4.0.\n", encoding="utf-8"
    )
    with caplog.at_level(logging.DEBUG):
        result = audit_release(str(release))
    captured = capsys.readouterr()
    assert result.error is None and result.release is not None
    assert result.release.card is not None and result.release.card.license is None
    assert "metadata block" not in caplog.text + captured.err + captured.out


def test_hub_card_warnings_are_reported_with_the_file_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "bad-index"
    shutil.copytree(EXAMPLES / "cc-by-nc-release", release)
    card = (release / "README.md").read_text(encoding="utf-8")
    broken = card.replace("---\n", "---\nmodel-index:\n- name: x\n  results: 3\n", 1)
    (release / "README.md").write_text(broken, encoding="utf-8")
    result = audit_release(str(release))
    captured = capsys.readouterr()
    assert "model-index" not in captured.err + captured.out
    note = next(f for f in result.findings if "model-index" in f.message)
    assert note.code == "REL-SKIPPED" and note.message.startswith("README.md: model-index")
    assert result.release is not None and result.release.card is not None
    assert result.release.card.license == "cc-by-nc-4.0"  # the rest of the card is read


def test_hub_cache_snapshot_with_card_and_licence_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "hub" / "models--example--washing"
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    for name in ("README.md", "LICENSE", "config.json"):  # --include "*.md" "*.json" "LICENSE*"
        blob = repo / "blobs" / name.replace(".", "-")
        shutil.copyfile(EXAMPLES / "open-washing" / name, blob)
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / blob.name)
    cache = tmp_path / "hub"
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    # scan_cache_dir reads its own copy, bound when the module was first imported.
    monkeypatch.setattr("huggingface_hub.utils._cache_manager.HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    result = audit_release("example/washing")
    assert result.error is None
    assert {"OW-LIC", "OW-RESTRICT"} <= codes(result, Severity.HIGH)


def test_negations_and_markup_on_one_huge_line() -> None:
    # One 2 MB sentence: every match is looked at in a bounded window, so this stays linear.
    body = "This model is not open source and " * 60_000 + "[open source](https://x.y) <a " * 5_000
    statements = find_statements(body)
    assert statements.claims == () and statements.open_weights == ()
    claims = find_statements("[" * 200_000 + " We open-source Tiny-7B.").claims
    assert len(claims) == 1 and claims[0][1].endswith("We open-source Tiny-7B.")


def test_json_reports_open_weights_statements(capsys: pytest.CaptureFixture[str]) -> None:
    from clearweights.cli.main import main

    release = str(EXAMPLES / "gemma-release")
    main(["audit", release, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    card = doc["audits"][0]["card"]
    assert isinstance(card["open_weights"], list)
    assert all({"line", "text"} <= set(s) for s in card["open_weights"] + card["claims"])
