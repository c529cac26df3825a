"""Validation of upstream-style leaves: each enforced rule broken once, licences on real texts."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from clearweights.errors import TaxonomyError, UnknownLicenceError
from clearweights.taxonomy.report import LicenseVerdict, Severity, ValidationReport
from clearweights.taxonomy.validate import (
    ValidationOptions,
    resolve_allowed,
    validate,
    validate_changed,
)
from tests.taxonomy.repos import HERE, LICENCES, build_fixture_repos, copy_tree, git, make_repo

VALID = HERE / "valid"
BROKEN = HERE / "broken"
PHOENIX = "knowledge/science/astronomy/constellations/phoenix"


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_fixture_repos(tmp_path_factory.mktemp("repos"))


@pytest.fixture(scope="module")
def broken(mirrors: dict[str, Path]) -> ValidationReport:
    return validate([BROKEN], ValidationOptions(mirrors=mirrors))


def _by_leaf(report: ValidationReport) -> dict[str, set[tuple[str, int, int, str]]]:
    found: dict[str, set[tuple[str, int, int, str]]] = defaultdict(set)
    for f in report.findings:
        if f.rule != "duplicate/seed":
            leaf = (f.leaf or Path(f.path).parent.name).rsplit("/", 1)[-1]
            found[leaf].add((f.rule, f.line, f.col, f.severity.value))
    return dict(found)


def test_the_valid_taxonomy_passes_with_its_duties(mirrors: dict[str, Path]) -> None:
    report = validate([VALID], ValidationOptions(mirrors=mirrors))
    assert report.findings == () and report.incomplete == () and report.ok
    verdicts = {item.leaf: item for item in report.licenses}
    assert {v.verdict for v in verdicts.values()} == {LicenseVerdict.ALLOWED}
    phoenix = verdicts[PHOENIX]
    assert phoenix.licenses == ("CC-BY-SA-4.0",)
    assert [s.origin for s in phoenix.sources] == ["attribution.txt", "LICENSE"]
    (duty,) = phoenix.duties
    assert duty.share_alike and duty.attribution and not duty.keep_notices
    assert phoenix.credit[0].startswith("Phoenix (constellation), by clearweights fixture authors")
    assert verdicts["compositional_skills/grounded/extraction/invoice_totals"].duties == ()


EXPECTED = {
    "yaml_trailing_spaces": {("yaml/trailing-spaces", 2, 18, "error")},
    "yaml_blank_lines_at_end": {("yaml/empty-lines", 65, 1, "error")},
    "yaml_duplicate_key": {("yaml/key-duplicates", 3, 1, "error")},
    "yaml_syntax_error": {("yaml/unreadable", 5, 14, "error")},
    "yaml_empty_file": {("yaml/empty", 1, 1, "warning")},
    "schema_too_few_seeds": {("schema/minItems", 6, 3, "error")},
    "schema_too_few_questions": {("schema/minItems", 11, 7, "error")},
    "schema_unknown_key": {("schema/unevaluatedProperties", 3, 1, "error")},
    "schema_deprecated_version": {("schema/version", 1, 10, "error")},
    "schema_unknown_version": {("schema/version", 1, 10, "error")},
    "schema_missing_document": {("schema/required", 1, 1, "error")},
    "schema_missing_task_description": {("schema/required", 1, 1, "error")},
    "schema_empty_answer": {("schema/minLength", 21, 13, "error")},
    "schema_top_level_list": {("schema/type", 1, 1, "error")},
    "file_misnamed": {("file/name", 1, 1, "warning")},
    "attribution_missing": {("attribution/missing", 1, 1, "error")},
    "attribution_no_licence": {("attribution/missing-field", 1, 1, "error")},
    "license_non_commercial": {("license/not-allowed", 1, 1, "error")},
    "license_unidentifiable": {("license/unknown", 1, 1, "error")},
    "license_mismatch": {("license/mismatch", 1, 1, "warning")},
    "license_all_rights_reserved": {("license/not-allowed", 1, 1, "error")},
    "document_missing_commit": {("document/unreadable", 1, 1, "error")},
    "document_no_match": {("document/unreadable", 1, 1, "error")},
    "size_long_context": {("size/context-words", 28, 14, "warning")},
    "secret_in_question": {("pii/secret", 10, 15, "error")},
    "pii_in_contexts": {
        ("pii/email", 6, 27, "error"),
        ("pii/phone", 12, 50, "error"),
        ("pii/iban", 17, 37, "error"),
        ("pii/payment-card", 22, 41, "error"),
        ("pii/national-id", 29, 13, "error"),
    },
}


def test_each_rule_broken_once_is_found_exactly(broken: ValidationReport) -> None:
    found = _by_leaf(broken)
    found.pop("haiku", None)  # the original the duplicate copies
    found.pop("duplicate_of_haiku", None)
    # The leaf NOTICE reserving all rights is reported on the repository's file.
    assert found.pop("history-docs@69305b743699", set()) == set()
    assert found == EXPECTED


def test_messages_say_what_and_where(broken: ValidationReport) -> None:
    text = {f.rule + " " + f.message for f in broken.findings}
    assert any("Minimum supported version is 3" in t for t in text)
    assert any(
        t.startswith("schema/minItems [.seed_examples] Value must have at least 5") for t in text
    )
    assert any("'tags' was unexpected" in t for t in text)
    assert any("commit feedface" in t and "does not exist" in t for t in text)
    assert any("NOTICE reserves all rights" in t for t in text)
    reserved = next(f for f in broken.findings if "reserves all rights" in f.message)
    assert (
        reserved.path == "https://github.com/clearweights-fixtures/history-docs@69305b743699/NOTICE"
    )
    assert reserved.leaf == "knowledge/rules/license_all_rights_reserved"
    nc = next(f for f in broken.findings if f.rule == "license/not-allowed" and "NC" in f.message)
    assert "got CC-BY-NC-4.0, expected one of Apache-2.0" in nc.message
    email = next(f for f in broken.findings if f.rule == "pii/email")
    assert "jane" not in email.message  # masked: the report does not spread it


def test_verdicts_never_call_the_unknown_allowed(broken: ValidationReport) -> None:
    verdicts = {item.leaf.rsplit("/", 1)[-1]: item.verdict for item in broken.licenses}
    assert verdicts["license_non_commercial"] is LicenseVerdict.NOT_ALLOWED
    assert verdicts["license_all_rights_reserved"] is LicenseVerdict.NOT_ALLOWED
    assert verdicts["license_unidentifiable"] is LicenseVerdict.UNKNOWN
    assert verdicts["attribution_missing"] is LicenseVerdict.UNKNOWN
    assert verdicts["document_missing_commit"] is LicenseVerdict.UNKNOWN


def test_near_duplicate_seeds_across_leaves(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    root = copy_tree(VALID, tmp_path / "taxonomy")
    shutil.copytree(
        BROKEN / "compositional_skills/rules/duplicate_of_haiku",
        root / "compositional_skills/writing/freeform/haiku_again",
    )
    report = validate([root], ValidationOptions(mirrors=mirrors))
    (dup,) = [f for f in report.findings if f.rule == "duplicate/seed"]
    assert dup.severity is Severity.WARNING
    assert dup.leaf == "compositional_skills/writing/freeform/haiku_again"
    assert "in compositional_skills/writing/freeform/haiku " in dup.message
    assert "(and 4 more near-duplicate pairs)" in dup.message
    assert report.errors == ()
