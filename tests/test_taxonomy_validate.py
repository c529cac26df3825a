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
    assert (
        "which is not on the allow-list (got CC-BY-NC-4.0, expected one of Apache-2.0" in nc.message
    )
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


def _knowledge_leaf(root: Path, repo: Path, commit: str, declared: str) -> Path:
    """The valid Phoenix leaf, its documents moved to *repo* and its attribution to *declared*."""
    leaf = root / PHOENIX
    shutil.copytree(VALID / PHOENIX, leaf)
    qna = leaf / "qna.yaml"
    text = qna.read_text(encoding="utf-8")
    text = text.replace("https://github.com/clearweights-fixtures/phoenix-docs", str(repo))
    qna.write_text(text.replace("e939d433f725bf1f015164315a7699761d00565c", commit))
    attribution = leaf / "attribution.txt"
    attribution.write_text(attribution.read_text().replace("CC-BY-SA-4.0", declared))
    return leaf


# (licence text in the corpus, verdict, share-alike, attribution, keep notices)
REAL_TEXTS = [
    ("CC-BY-SA-4.0", LicenseVerdict.ALLOWED, True, True, False),
    ("CC-BY-4.0", LicenseVerdict.ALLOWED, False, True, False),
    ("CC0-1.0", LicenseVerdict.ALLOWED, None, None, None),
    ("CDLA-Permissive-2.0", LicenseVerdict.ALLOWED, False, True, True),
    ("Apache-2.0", LicenseVerdict.ALLOWED, False, True, True),
    ("MIT", LicenseVerdict.ALLOWED, False, True, True),
    ("CC-BY-NC-4.0", LicenseVerdict.NOT_ALLOWED, False, True, False),
    ("CC-BY-NC-SA-4.0", LicenseVerdict.NOT_ALLOWED, True, True, False),
    ("CC-BY-ND-4.0", LicenseVerdict.NOT_ALLOWED, False, True, False),
    ("GPL-3.0-only", LicenseVerdict.NOT_ALLOWED, True, True, True),
]


@pytest.mark.parametrize(("licence", "verdict", "share_alike", "credit", "notices"), REAL_TEXTS)
def test_repository_licence_texts_are_identified_and_checked(
    tmp_path: Path,
    licence: str,
    verdict: LicenseVerdict,
    share_alike: bool | None,
    credit: bool | None,
    notices: bool | None,
) -> None:
    documents = (HERE / "documents/phoenix/phoenix_constellation.md").read_bytes()
    text = (LICENCES / f"{licence}.txt").read_bytes()
    commit = make_repo(tmp_path / "docs", {"phoenix_constellation.md": documents, "LICENSE": text})
    _knowledge_leaf(tmp_path / "taxonomy", tmp_path / "docs", commit, licence)
    report = validate([tmp_path / "taxonomy"], ValidationOptions())
    (result,) = report.licenses
    assert result.verdict is verdict
    assert result.licenses == (licence,)
    assert [s.licenses for s in result.sources] == [(licence,), (licence,)]
    rules = {f.rule for f in report.errors}
    assert rules == (set() if verdict is LicenseVerdict.ALLOWED else {"license/not-allowed"})
    if share_alike is None:
        assert result.duties == ()  # public domain dedication: nothing carried forward
    else:
        (duty,) = result.duties
        assert (duty.share_alike, duty.attribution, duty.keep_notices) == (
            share_alike,
            credit,
            notices,
        )


def test_a_repository_without_licence_file_rests_on_the_attribution(tmp_path: Path) -> None:
    documents = (HERE / "documents/phoenix/phoenix_constellation.md").read_bytes()
    commit = make_repo(tmp_path / "docs", {"phoenix_constellation.md": documents})
    _knowledge_leaf(tmp_path / "taxonomy", tmp_path / "docs", commit, "CC-BY-4.0")
    report = validate([tmp_path / "taxonomy"], ValidationOptions())
    assert [(f.rule, f.severity) for f in report.findings] == [
        ("license/no-license-file", Severity.WARNING)
    ]
    assert report.licenses[0].verdict is LicenseVerdict.ALLOWED


def test_the_allow_list_is_configurable(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    leaf = BROKEN / "compositional_skills/rules/license_non_commercial"
    strict = validate([leaf], ValidationOptions(mirrors=mirrors))
    assert [f.rule for f in strict.errors] == ["license/not-allowed"]
    relaxed = validate(
        [leaf], ValidationOptions(allowed_licenses=resolve_allowed(["CC BY-NC 4.0", "MIT"]))
    )
    assert relaxed.errors == () and relaxed.allowed_licenses == ("CC-BY-NC-4.0", "MIT")
    only_mit = validate([VALID], ValidationOptions(mirrors=mirrors, allowed_licenses=("MIT",)))
    refused = {f.leaf for f in only_mit.errors if f.rule == "license/not-allowed"}
    assert len(refused) == 3
    with pytest.raises(UnknownLicenceError):
        resolve_allowed(["CC-BY-SA-9.0"])


def test_unreachable_repositories_are_reported_as_not_checked() -> None:
    report = validate([VALID], ValidationOptions())  # no mirrors, no cache: offline
    assert report.errors == ()
    (reason,) = report.incomplete
    assert reason.startswith(PHOENIX + ": document repository https://github.com/")
    assert "not available offline" in reason
    verdicts = {item.leaf: item.verdict for item in report.licenses}
    assert verdicts[PHOENIX] is LicenseVerdict.UNKNOWN  # the repository may restrict more
    assert not report.ok


_ALIAS_BOMB = b"a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    b"a%d: &a%d [%s]\n" % (i, i, b", ".join([b"*a%d" % (i - 1)] * 9)) for i in range(1, 7)
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_ALIAS_BOMB, "alias bomb"),
        (b"version: 3\ncreated_by: caf\xe9\n", "not UTF-8 text"),
        (b"version: 3\n" + b"# padding\n" * 120_000, "over the limit"),
        (b"version: 3\nlist: &x [*x]\n", "recursive structures are refused"),
    ],
)  # fmt: skip
def test_hostile_yaml_is_a_finding_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    qna = tmp_path / "knowledge/hostile/qna.yaml"
    qna.parent.mkdir(parents=True)
    qna.write_bytes(content)
    report = validate([tmp_path], ValidationOptions())
    (finding,) = report.findings
    assert (finding.path, finding.rule) == (str(qna), "yaml/unreadable")
    assert message in finding.message
    assert len(finding.message) < 400


def test_a_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="no such file") as caught:
        validate([tmp_path / "nowhere"], ValidationOptions())
    assert caught.value.path == str(tmp_path / "nowhere")


def test_changed_leaves_only(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    root = copy_tree(VALID, tmp_path / "taxonomy")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "base")
    shutil.copytree(
        BROKEN / "compositional_skills/rules/license_non_commercial",
        root / "compositional_skills/extraction/receipts",
    )
    report = validate_changed(root, "main", ValidationOptions(mirrors=mirrors))
    assert report.leaves == ("compositional_skills/extraction/receipts",)
    assert [f.rule for f in report.errors] == ["license/not-allowed"]
    assert report.errors[0].path == str(
        root / "compositional_skills/extraction/receipts/attribution.txt"
    )
