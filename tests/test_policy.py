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


# --- licence expressions: an OR is a choice -------------------------------------------------

CORPUS = ROOT / "tests" / "corpus" / "licences"
CARD = "---\nlicense: {licence}\npipeline_tag: text-generation\n---\n\n# {name}\n\nA small model.\n"
RUST_STYLE = (
    "This project is dual-licensed under the MIT license or the Apache License, Version 2.0, "
    "at your option.\n\n"
)


def _weights(path: Path) -> None:
    header = b'{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
    header += b" " * (-len(header) % 8)
    path.write_bytes(len(header).to_bytes(8, "little") + header + bytes(16))


def _release(folder: Path, card_licence: str, licence_text: str | None) -> Path:
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(CARD.format(licence=card_licence, name=folder.name), "utf-8")
    if licence_text is not None:
        (folder / "LICENSE").write_text(licence_text, "utf-8")
    _weights(folder / "model.safetensors")
    return folder


def _policy(rules: str) -> str:
    return f"policy: team\nversion: 1\nrules:\n{rules}"


def test_spdx_or_in_a_header_is_a_choice(tmp_path: Path) -> None:
    release = _release(tmp_path / "tiny-chat", "mit", (CORPUS / "MIT.txt").read_text("utf-8"))
    (release / "inference.py").write_text(
        "# SPDX-License-Identifier: MIT OR GPL-3.0-only\nimport json\n", "utf-8"
    )
    deny_copyleft = parse_policy(_policy("  licences:\n    code: {deny: [copyleft]}\n"))
    report = check([str(release)], deny_copyleft)
    assert report.passed, report.checks[0].violations
    deny_both = parse_policy(_policy("  licences:\n    code: {deny: [copyleft, permissive]}\n"))
    violations = check([str(release)], deny_both).checks[0].violations
    assert {v.found for v in violations} == {"MIT", "GPL-3.0-only"}
    (release / "inference.py").write_text(
        "# SPDX-License-Identifier: MIT AND GPL-3.0-only\nimport json\n", "utf-8"
    )
    violations = check([str(release)], deny_copyleft).checks[0].violations
    assert [v.found for v in violations] == ["GPL-3.0-only"]


def test_dual_licence_file_is_a_choice(tmp_path: Path) -> None:
    texts = [(CORPUS / f"{i}.txt").read_text("utf-8") for i in ("MIT", "Apache-2.0")]
    release = _release(tmp_path / "dual", "apache-2.0", RUST_STYLE + "\n\n".join(texts))
    audited = check([str(release)], parse_policy(_policy("  pickles: forbid\n")))
    assert audited.passed
    from clearweights.audit import audit_release

    weights = next(c for c in audit_release(str(release)).components if "Final" in c.name)
    assert weights.licence_name in ("MIT OR Apache-2.0", "Apache-2.0 OR MIT")
    no_apache = parse_policy(_policy("  licences:\n    weights: {deny: [Apache-2.0]}\n"))
    assert check([str(release)], no_apache).passed
    # Without the dual-licence sentence both texts apply, so the denial holds.
    plain = _release(tmp_path / "both", "apache-2.0", "\n\n".join(texts))
    assert not check([str(plain)], no_apache).passed


def test_term_under_or_counts_only_when_every_choice_has_it(tmp_path: Path) -> None:
    release = _release(tmp_path / "nc-or-mit", "mit", None)
    (release / "LICENSE").write_text("SPDX-License-Identifier: MIT OR CC-BY-NC-4.0\n", "utf-8")
    forbid = parse_policy(_policy("  terms:\n    non_commercial: forbid\n"))
    assert check([str(release)], forbid).passed
    (release / "LICENSE").write_text("SPDX-License-Identifier: MIT AND CC-BY-NC-4.0\n", "utf-8")
    violations = check([str(release)], forbid).checks[0].violations
    assert [v.rule for v in violations] == ["terms.non_commercial"]


# --- unknown licences fail closed -----------------------------------------------------------

ALL_RIGHTS_RESERVED = "Copyright (c) 2025 Acme Robotics GmbH. All rights reserved.\n"
ACME_LICENCE = """\
ACME MODEL LICENSE AGREEMENT

1. Grant. Subject to this Agreement, ACME grants you a worldwide, royalty-free licence to use,
reproduce and modify the Model.
2. Restrictions. You may not use the Model or any output of the Model to train, fine-tune or
otherwise improve any other large language model.
3. Termination. ACME may revoke this licence at any time, and may update these terms from time
to time.
4. Governing law. This Agreement is governed by the laws of the State of Delaware.
"""


def test_all_rights_reserved_fails_the_commercial_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = _release(tmp_path / "acme-7b", "other", ALL_RIGHTS_RESERVED)
    policy, base = load_policy("commercial-product")
    violations = check([str(release)], policy, base=base).checks[0].violations
    unknown = [v for v in violations if v.rule == "licences.weights"]
    # The LICENSE file gives no licence: its licence is unknown (an unidentified licence).
    assert [v.found for v in unknown] == ["LicenseRef-clearweights-unidentified"]
    assert "unknown: allow" in unknown[0].message
    assert main(["check", str(release), "--policy", "commercial-product"]) == 1
    capsys.readouterr()


def test_unidentified_licence_fails_closed_unless_allowed(tmp_path: Path) -> None:
    release = _release(tmp_path / "acme-7b", "other", ACME_LICENCE)
    rules = "  licences:\n    weights: {deny: [non-commercial, research-only]%s}\n"
    strict = parse_policy(_policy(rules % ""))
    violations = check([str(release)], strict).checks[0].violations
    assert [v.found for v in violations] == ["LicenseRef-clearweights-unidentified"]
    relaxed = parse_policy(_policy(rules % ", unknown: allow"))
    assert check([str(release)], relaxed).passed
    waived = parse_policy(
        _policy(rules % "") + "exceptions:\n  - release: acme-*\n    rules: [licences.weights]\n"
        "    reason: reviewed by legal, LEGAL-7\n    expires: 2999-01-01\n"
    )
    checked = check([str(release)], waived).checks[0]
    assert checked.passed and checked.violations[0].waived


def test_unknown_key_is_validated() -> None:
    with pytest.raises(PolicyError, match="unknown"):
        parse_policy(_policy("  licences:\n    weights: {unknown: maybe}\n"))


def test_duties_of_one_side_of_an_or_are_conditional(tmp_path: Path) -> None:
    from clearweights.audit import audit_release

    release = _release(tmp_path / "tiny-chat", "mit", (CORPUS / "MIT.txt").read_text("utf-8"))
    (release / "train.py").write_text(
        "# SPDX-License-Identifier: MIT OR GPL-3.0-only\nimport json\n", "utf-8"
    )
    duties = [o for o in audit_release(str(release)).obligations if o.licence == "GPL-3.0-only"]
    assert duties and all(o.text.startswith("If you take it under GPL-3.0-only: ") for o in duties)
    (release / "train.py").write_text(
        "# SPDX-License-Identifier: MIT AND GPL-3.0-only\nimport json\n", "utf-8"
    )
    duties = [o for o in audit_release(str(release)).obligations if o.licence == "GPL-3.0-only"]
    assert duties and not any(o.text.startswith("If you take it") for o in duties)


def test_expression_trees_keep_or_and_with() -> None:
    from clearweights.licenses import parse_expression

    tree = parse_expression(
        "mit OR (Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0)"
    ).tree
    assert tree is not None
    assert str(tree) == "MIT OR (Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0)"
    choices = [[lic.id for lic in choice] for choice in tree.choices()]
    assert choices == [["MIT"], ["Apache-2.0", "GPL-2.0-only"]]
    assert tree.holds(lambda lic: lic.category.value == "permissive")
    assert not tree.holds(lambda lic: lic.id == "GPL-2.0-only")
    unknown = parse_expression("LicenseRef-acme-model OR MIT").tree
    assert unknown is not None and [lic.id for lic in unknown.licences] == [
        "LicenseRef-acme-model",
        "MIT",
    ]
    pairs = [
        ("MIT", "ISC"),
        ("BSD-2-Clause", "Zlib"),
        ("BSD-3-Clause", "0BSD"),
        ("Apache-2.0", "MPL-2.0"),
        ("GPL-2.0-only", "GPL-3.0-only"),
        ("LGPL-2.1-only", "LGPL-3.0-only"),
        ("AGPL-3.0-only", "EPL-2.0"),
    ]
    six = parse_expression(" AND ".join(f"({a} OR {b})" for a, b in pairs[:6])).tree
    assert six is not None and len(six.choices()) == 64  # 2**6 combinations, all kept
    # Beyond that, one choice of every licence: never more permissive than the truth.
    seven = parse_expression(" AND ".join(f"({a} OR {b})" for a, b in pairs)).tree
    assert seven is not None and [len(c) for c in seven.choices()] == [14]


def test_mof_file_expressions_keep_every_licence(tmp_path: Path) -> None:
    text = (EXAMPLES / "mof-release.yml").read_text("utf-8")
    text = text.replace(
        "- {name: 'Model parameters (Final)'}",
        "- {name: 'Model parameters (Final)', license: 'Apache-2.0 AND CC-BY-NC-4.0'}",
    ).replace(
        "- {name: 'Inference code'}", "- {name: 'Inference code', license: 'MIT OR GPL-3.0-only'}"
    )
    release = tmp_path / "mof-expressions.yml"
    release.write_text(text, "utf-8")
    policy = parse_policy(
        _policy(
            "  licences:\n    weights: {deny: [non-commercial]}\n    code: {deny: [copyleft]}\n"
        )
    )
    violations = check([str(release)], policy).checks[0].violations
    found = sorted((v.rule, v.found, v.message.split(":")[0].split(" has ")[0]) for v in violations)
    # Inference code may be taken under MIT; the unlicensed training code fails closed.
    assert found == [
        ("licences.code", "no licence", "Training code"),
        ("licences.weights", "CC-BY-NC-4.0", "Model parameters (Final)"),
    ]


def test_deny_lists_match_hub_ids_and_deprecated_ids() -> None:
    from clearweights.policy.loader import _current_ids

    assert _current_ids(["llama3", "GPL-3.0", "osi", "permissive"]) == (
        "LicenseRef-clearweights-llama-3",
        "GPL-3.0-only",
        "osi",
        "permissive",
    )


# --- terms fail closed ---------------------------------------------------------------------


def test_an_unknown_term_is_a_violation_at_the_rule_level(tmp_path: Path) -> None:
    # The ACME text bars training on outputs and can be revoked, but says nothing readable
    # about commercial use: non_commercial is unknown, so forbidding it cannot pass.
    release = _release(tmp_path / "acme-7b", "other", ACME_LICENCE)
    forbid = parse_policy(_policy("  terms:\n    non_commercial: forbid\n"))
    violations = check([str(release)], forbid).checks[0].violations
    assert [(v.rule, v.found, v.level) for v in violations] == [
        ("terms.non_commercial", "unknown", "error")
    ]
    assert "non commercial is unknown" in violations[0].message
    flag = parse_policy(_policy("  terms:\n    non_commercial: flag\n"))
    report = check([str(release)], flag)
    assert report.passed
    assert [v.level for v in report.checks[0].violations] == ["warning"]


def test_weights_without_a_licence_have_every_term_unknown(tmp_path: Path) -> None:
    release = _release(tmp_path / "acme-7b", "other", ALL_RIGHTS_RESERVED)
    forbid = parse_policy(_policy("  terms:\n    output_use_restriction: forbid\n"))
    violations = check([str(release)], forbid).checks[0].violations
    assert [(v.found, v.level) for v in violations] == [("unknown", "error")]
    assert "Unidentified licence text" in violations[0].message
    assert "fails closed" in violations[0].message


def test_a_licence_known_to_be_free_of_the_term_passes(tmp_path: Path) -> None:
    release = _release(tmp_path / "mit-7b", "mit", None)
    (release / "LICENSE").write_text("SPDX-License-Identifier: MIT\n", "utf-8")
    rules = "".join(
        f"    {t}: forbid\n"
        for t in ("non_commercial", "research_only", "output_use_restriction", "user_threshold")
    )
    assert check([str(release)], parse_policy(_policy(f"  terms:\n{rules}"))).passed
    # Under an OR, one choice known to be free of the term is enough.
    (release / "LICENSE").write_text(
        "SPDX-License-Identifier: MIT OR LicenseRef-Acme-Proprietary\n", "utf-8"
    )
    assert check([str(release)], parse_policy(_policy(f"  terms:\n{rules}"))).passed
