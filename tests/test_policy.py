"""Policies: the engine on the examples, the YAML loader's errors, exceptions, SARIF, JUnit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from clearweights.cli.main import main
from clearweights.policy import PolicyError, check, load_policy, parse_policy
from clearweights.policy.rules import AllOf, AnyOf, MofClassAtLeast, ProfilePasses

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
ALL = [str(p) for p in sorted(EXAMPLES.iterdir())]

# built-in policy -> releases that pass it
PASSING = {
    "pragmatic": {"open-olmo-style"},  # the MOF example ships unlicensed training code
    "strict-osaid": {"open-olmo-style"},
    "commercial-product": {
        "open-olmo-style",
        "example-7b-instruct",
        "llama-3.1-finetune",
        "gemma-release",
        "deepseek-pattern",
    },
}


@pytest.mark.parametrize("name", sorted(PASSING))
def test_built_in_policies_on_the_examples(name: str) -> None:
    policy, base = load_policy(name)
    report = check(ALL, policy, base=base)
    assert {c.name for c in report.checks if c.passed} == PASSING[name]


def test_violation_points_at_the_licence_line() -> None:
    policy, base = load_policy("pragmatic")
    report = check([str(EXAMPLES / "llama-3.1-finetune")], policy, base=base)
    threshold = next(v for v in report.checks[0].violations if v.rule == "terms.user_threshold")
    where = threshold.evidence[0]
    assert where.path == "LICENSE"
    assert where.line is not None
    lines = (EXAMPLES / "llama-3.1-finetune" / "LICENSE").read_text(encoding="utf-8").splitlines()
    line = lines[where.line - 1]
    assert "700 million monthly active users" in line
    assert threshold.found == "user threshold"
    assert threshold.expected == "no user threshold"


def test_flagged_terms_are_warnings() -> None:
    policy, base = load_policy("commercial-product")
    report = check([str(EXAMPLES / "llama-3.1-finetune")], policy, base=base)
    levels = {v.rule: v.level for v in report.checks[0].violations}
    assert levels == {"terms.user_threshold": "warning", "terms.acceptable_use_policy": "warning"}
    assert report.passed


POLICY = """\
policy: team
version: 1
rules:
  profiles:
    redhat: pass
  licences:
    weights:
      deny: [non-commercial, LicenseRef-scancode-llama-3.1-license-2024]
exceptions:
  - release: llama-3.1-*
    rules: [profiles.redhat, licences.weights]
    reason: approved by legal
    expires: {expires}
"""


def test_exceptions_waive_until_they_expire() -> None:
    policy = parse_policy(POLICY.format(expires="2027-06-30"))
    today = date(2026, 11, 27)
    report = check([str(EXAMPLES / "llama-3.1-finetune")], policy, today=today)
    assert report.passed
    assert all(
        v.waived == "approved by legal (until 2027-06-30)" for v in report.checks[0].violations
    )
    expired = check(
        [str(EXAMPLES / "llama-3.1-finetune")],
        parse_policy(POLICY.format(expires="2026-01-31")),
        today=today,
    )
    assert not expired.passed
    assert any("expired on 2026-01-31" in n for n in expired.checks[0].notes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "policy: x\nversion: 1\nrules:\n  profiles:\n    redhat: pass\n  colour: blue\n",
            "line 6: unknown key 'rules.colour'",
        ),
        ("policy: x\nversion: 1\nrules:\n  pickles: maybe\n", "line 4: rules.pickles"),
        (
            "policy: x\nversion: 1\nrules:\n  licences:\n    weights:\n      allow: [apache-3.0]\n",
            "line 6: no licence is known as 'apache-3.0'",
        ),
        ("policy: x\nversion: 2\n", "line 2: version"),
        ("- a\n- b\n", "must be a YAML mapping"),
        ("policy: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_policy_files_name_key_and_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "policy.yml")
    assert message in info.value.diagnostics()


def test_bad_policy_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "policy.yml"
    bad.write_text("policy: x\nversion: 1\nrules:\n  colour: blue\n", encoding="utf-8")
    assert main(["check", str(EXAMPLES / "open-olmo-style"), "--policy", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'rules.colour'" in err and "Traceback" not in err


def test_combinators() -> None:
    from clearweights.audit import audit_release
    from clearweights.policy.model import CheckContext

    ctx = CheckContext(audit_release(str(EXAMPLES / "mof-release.yml")))
    assert AnyOf((ProfilePasses("osaid-1.0"), MofClassAtLeast("III"))).check(ctx) == []
    assert AllOf((ProfilePasses("osaid-1.0"), MofClassAtLeast("III"))).check(ctx)
    assert MofClassAtLeast("II").check(ctx)[0].found == "Class III"


def test_check_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", str(EXAMPLES / "open-olmo-style"), "--policy", "pragmatic"]) == 0
    assert (
        main(
            [
                "check",
                str(EXAMPLES / "open-olmo-style"),
                str(EXAMPLES / "open-washing"),
                "--policy",
                "pragmatic",
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "check",
                str(EXAMPLES / "open-olmo-style"),
                str(tmp_path / "missing"),
                "--policy",
                "pragmatic",
            ]
        )
        == 3
    )
    assert main(["check", str(EXAMPLES / "open-olmo-style"), "--policy", "no-such-policy"]) == 2
    capsys.readouterr()


def test_sarif_is_valid_and_points_at_lines(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "check",
            str(EXAMPLES / "llama-3.1-finetune"),
            str(EXAMPLES / "unsafe-pickle"),
            "--policy",
            "pragmatic",
            "--format",
            "sarif",
        ]
    )
    log = json.loads(capsys.readouterr().out)
    schema = json.loads(
        (ROOT / "tests" / "assets" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    threshold = next(r for r in results if r["ruleId"] == "terms.user_threshold")
    location = threshold["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("llama-3.1-finetune/LICENSE")
    assert location["region"]["startLine"] > 1
    pickle = next(r for r in results if r["ruleId"] == "pickles")
    assert pickle["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "unsafe-pickle/pytorch_model.bin"
    )
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert all(r["ruleIndex"] == rules.index(r["ruleId"]) for r in results if "ruleIndex" in r)


def test_junit(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "check",
            str(EXAMPLES / "llama-3.1-finetune"),
            str(EXAMPLES / "open-olmo-style"),
            "--policy",
            "pragmatic",
            "--format",
            "junit",
        ]
    )
    root = ET.fromstring(capsys.readouterr().out)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["llama-3.1-finetune"].get("failures") == "5"
    assert suites["open-olmo-style"].get("failures") == "0"
    failing = [
        c.get("name")
        for c in suites["llama-3.1-finetune"].iter("testcase")
        if c.find("failure") is not None
    ]
    assert "terms.user_threshold" in failing


def test_markdown_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(EXAMPLES / "open-washing"), "--policy", "pragmatic", "--format", "markdown"])
    out = capsys.readouterr().out
    assert out.startswith("### clearweights: policy `pragmatic` does not pass")
    assert "`terms.output_use_restriction`" in out
    main(["check", str(EXAMPLES / "open-washing"), "--policy", "pragmatic", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert next(iter(doc)) == "schema_version"
    assert doc["passed"] is False


def test_shipped_policies_and_ci_files_exist() -> None:
    for name in ("pragmatic", "strict-osaid", "commercial-product"):
        load_policy(name)
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks[0]["entry"].startswith("clearweights check")
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"


def test_signature_rule(tmp_path: Path) -> None:
    import shutil

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "release.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "release.pub.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    release = tmp_path / "model"
    shutil.copytree(EXAMPLES / "open-olmo-style", release)
    policy_file = tmp_path / "policy.yml"
    policy_file.write_text(
        "policy: signed\nversion: 1\nrules:\n  signature: {key: release.pub.pem}\n",
        encoding="utf-8",
    )
    policy, base = load_policy(str(policy_file))
    unsigned = check([str(release)], policy, base=base)
    assert unsigned.checks[0].violations[0].rule == "signature"
    assert main(["sign", str(release), "--key", str(tmp_path / "release.pem")]) == 0
    assert check([str(release)], policy, base=base).passed
    (release / "config.json").write_text("{}", encoding="utf-8")
    tampered = check([str(release)], policy, base=base).checks[0].violations[0]
    assert tampered.found == "config.json"
    assert tampered.evidence[0].path == "config.json"


def test_waivers_and_ids_follow_the_yaml_keys() -> None:
    text = (
        "policy: x\nversion: 1\nrules:\n  model_card:\n    sections: [limitation]\n"
        "any_of:\n  - profiles: {osaid-1.0: pass}\n  - profiles: {mof: {min_class: I}}\n"
        "exceptions:\n  - release: llama-*\n    rules: [model_card, 'any_of[1]']\n"
        "    reason: r\n    expires: 2999-01-01\n"
    )
    policy = parse_policy(text)
    assert {leaf.id for leaf in policy.leaves} == {
        "model_card", "any_of[0].profiles.osaid-1.0", "any_of[1].profiles.mof",
    }  # fmt: skip
    report = check([str(EXAMPLES / "llama-3.1-finetune")], policy)
    rules = {v.rule: v.waived for v in report.checks[0].violations}
    assert rules["model_card"] is not None
    assert rules["any_of[1].profiles.mof"] is not None
    assert rules["any_of[0].profiles.osaid-1.0"] is None


def test_exception_for_an_unknown_rule_is_refused() -> None:
    text = (
        "policy: x\nversion: 1\nrules: {pickles: forbid}\nexceptions:\n  - release: a\n"
        "    rules: [model-card]\n    reason: r\n    expires: 2999-01-01\n"
    )
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    assert (
        "line 6: exceptions.0.rules: no rule of this policy is called 'model-card'"
        in info.value.diagnostics()
    )


def test_eu_profile_can_pass_in_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "eu.yml"
    policy.write_text(
        "policy: eu\nversion: 1\nrules:\n  profiles: {eu-ai-act-53-2: pass}\n", encoding="utf-8"
    )
    target = str(EXAMPLES / "open-olmo-style")
    assert main(["check", target, "--policy", str(policy)]) == 1
    assert (
        main(["check", target, "--policy", str(policy), "--no-systemic-risk", "--not-monetised"])
        == 0
    )
    capsys.readouterr()
