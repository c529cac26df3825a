"""Names for people: human outputs name licences, machine outputs keep ids, old ids resolve."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from clearweights.audit import audit, audit_release
from clearweights.cli.main import main
from clearweights.formats.badge import badge
from clearweights.formats.html import render_html
from clearweights.licenses import display_name, get, names_for_people, parse_expression
from clearweights.policy import check, parse_policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "releases"
LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.+-]+")
# Releases whose licences have LicenseRef ids, and the names people should read instead.
NAMED = {
    "deepseek-pattern": "DeepSeek License Agreement 1.0",
    "llama-3.1-finetune": "Llama 3.1 Community License Agreement",
    "gemma-release": "Gemma Terms of Use (2024-04-01)",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LicenseRef-scancode-deepseek-la-1.0", "DeepSeek License Agreement 1.0"),
        ("llama3.1", "Llama 3.1 Community License Agreement"),
        ("LicenseRef-scancode-bigscience-open-rail-m2", "CreativeML Open RAIL++-M"),
        ("LicenseRef-clearweights-modified-MIT", "MIT License, modified to add restrictions"),
        ("LicenseRef-clearweights-incomplete-MIT", "MIT License, modified: clauses missing"),
        ("LicenseRef-clearweights-unknown-acme", "unknown licence acme"),
        ("LicenseRef-acme-internal", "LicenseRef-acme-internal"),
    ],
)
def test_display_name(name: str, expected: str) -> None:
    assert display_name(name) == expected


def test_names_for_people_keeps_spdx_ids_and_punctuation() -> None:
    text = "MIT OR (Apache-2.0 AND LicenseRef-scancode-llama-3.1-license-2024)."
    assert names_for_people(text) == (
        "MIT OR (Apache-2.0 AND Llama 3.1 Community License Agreement)."
    )
    assert names_for_people("`LicenseRef-scancode-deepseek-la-1.0`") == (
        "`DeepSeek License Agreement 1.0`"
    )


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        (
            "LicenseRef-scancode-bigscience-open-rail-m2",
            "LicenseRef-clearweights-creativeml-openrail-plusplus-m",
            "CreativeML Open RAIL++-M",
        ),
        (
            "LicenseRef-scancode-llama-4-license-2025",
            "LicenseRef-clearweights-llama-4-aup",
            "Llama 4 Acceptable Use Policy",
        ),
    ],
)
def test_misleading_scancode_ids_are_renamed_and_still_resolve(
    old: str, new: str, name: str
) -> None:
    record = get(old)
    assert (record.id, record.name) == (new, name)
    assert record.scancode_key == old.removeprefix("LicenseRef-scancode-")
    assert parse_expression(f"MIT OR {old}").normalized == f"MIT OR {new}"


def test_the_hub_id_names_the_renamed_record() -> None:
    assert get("openrail++").id == "LicenseRef-clearweights-creativeml-openrail-plusplus-m"
    assert get("llama4").policies == ("LicenseRef-clearweights-llama-4-aup",)


def test_a_policy_naming_a_former_id_still_matches() -> None:
    policy = parse_policy(
        "policy: old-ids\nversion: 1\nrules:\n  licences:\n    weights:\n"
        "      deny: [LicenseRef-scancode-deepseek-la-1.0]\n"
    )
    report = check([str(EXAMPLES / "deepseek-pattern")], policy)
    assert [v.rule for v in report.checks[0].violations] == ["licences.weights"]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(args)
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("release", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_audit_outputs_for_people_name_licences(
    release: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run(["audit", str(EXAMPLES / release), "--format", fmt], capsys)
    assert LICENSE_REF.findall(out) == []
    if release in NAMED:
        assert NAMED[release] in " ".join(out.split())


def test_html_report_names_licences() -> None:
    page = render_html(audit([str(p) for p in sorted(EXAMPLES.iterdir()) if p.is_dir()]))
    assert LICENSE_REF.findall(page) == []
    for name in NAMED.values():
        assert escape(name) in page


def test_badge_names_the_licence() -> None:
    svg = badge(audit_release(str(EXAMPLES / "deepseek-pattern")), "licence")
    assert "DeepSeek" in svg and LICENSE_REF.findall(svg) == []


def test_audit_json_keeps_ids(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(["audit", str(EXAMPLES / "deepseek-pattern"), "--format", "json"], capsys)
    assert "LicenseRef-scancode-deepseek-la-1.0" in out
    licence = json.loads(out)["audits"][0]["components"]
    ids = {lic["id"] for c in licence if c["license"] for lic in c["license"]["licenses"]}
    assert "LicenseRef-scancode-deepseek-la-1.0" in ids


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif", "junit"])
def test_policy_check_outputs_name_licences(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(EXAMPLES / r) for r in sorted(NAMED)]
    out = _run(["check", *paths, "--policy", "pragmatic", "--format", fmt], capsys)
    assert LICENSE_REF.findall(out) == []
    flat = " ".join(out.split())
    if fmt == "junit":
        flat = " ".join(
            " ".join((e.get("message") or "", e.text or "")) for e in ET.fromstring(out).iter()
        )
    assert "DeepSeek License Agreement 1.0" in flat


def test_licence_show_gives_the_id_next_to_the_name(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(["license", "show", "deepseek"], capsys)
    assert "DeepSeek License Agreement 1.0  [LicenseRef-scancode-deepseek-la-1.0]" in out


def test_licence_json_says_why_terms_are_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_run(["license", "show", "grok2-community", "--format", "json"], capsys))
    assert "no reference text" in doc["license"]["unknown_terms"]["commercial_use"]
    doc = json.loads(_run(["license", "show", "llama2", "--format", "json"], capsys))
    assert doc["license"]["unknown_terms"] == {}
    assert doc["license"]["terms"]["non_commercial"] is False
