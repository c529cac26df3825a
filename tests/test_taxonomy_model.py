"""The taxonomy model: leaves read from upstream-style qna.yaml, documents from pinned commits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from clearweights import taxonomy
from clearweights.errors import TaxonomyError
from clearweights.taxonomy import LeafKind
from tests.taxonomy.repos import HERE, build_fixture_repos, copy_tree, git, make_repo

VALID = HERE / "valid"
PHOENIX = VALID / "knowledge/science/astronomy/constellations/phoenix"
PHOENIX_URL = "https://github.com/clearweights-fixtures/phoenix-docs"


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_fixture_repos(tmp_path_factory.mktemp("repos"))


def test_leaves_are_typed_and_named_from_the_taxonomy_root() -> None:
    leaves = {leaf.name: leaf for leaf in taxonomy.load_taxonomy(VALID)}
    assert set(leaves) == {
        "compositional_skills/grounded/extraction/invoice_totals",
        "compositional_skills/writing/freeform/haiku",
        "knowledge/science/astronomy/constellations/phoenix",
    }
    phoenix = leaves["knowledge/science/astronomy/constellations/phoenix"]
    assert phoenix.kind is LeafKind.KNOWLEDGE
    assert (phoenix.version, phoenix.domain, phoenix.created_by) == (3, "astronomy", "juliadenham")
    assert phoenix.document == taxonomy.DocumentRef(
        PHOENIX_URL, "e939d433f725bf1f015164315a7699761d00565c", ("phoenix_constellation.md",)
    )
    first = phoenix.seed_examples[0]
    assert first.id == "knowledge/science/astronomy/constellations/phoenix#0"
    assert first.line == 6
    assert first.context is not None and first.context.startswith("Phoenix is a minor")
    assert len(first.questions_and_answers) == 3
    haiku = leaves["compositional_skills/writing/freeform/haiku"]
    assert haiku.kind is LeafKind.FREEFORM_SKILL and haiku.seed_examples[0].context is None
    assert haiku.task_description is not None and haiku.document is None
    grounded = leaves["compositional_skills/grounded/extraction/invoice_totals"]
    assert grounded.kind is LeafKind.GROUNDED_SKILL and grounded.version == 2


def test_a_leaf_outside_its_root_is_named_from_its_top_folder() -> None:
    leaf = taxonomy.load_leaf(PHOENIX)
    assert leaf.name == "knowledge/science/astronomy/constellations/phoenix"
    assert leaf.path == PHOENIX / "qna.yaml"


def test_attribution_is_parsed_per_work(tmp_path: Path) -> None:
    leaf = taxonomy.load_leaf(PHOENIX / "qna.yaml")
    assert leaf.attribution is not None
    (work,) = leaf.attribution.works
    assert (work.title, work.license, work.creator) == (
        "Phoenix (constellation)",
        "CC-BY-SA-4.0",
        "clearweights fixture authors",
    )
    text = (
        "Title of work: A\nLink to work: https://example.org/a\nLicense of the work: MIT\n"
        "Creator names: Ann\n\nTitle of work: B\nLicence: CC0-1.0\n"
    )
    parsed = taxonomy.parse_attribution(text, tmp_path / "attribution.txt")
    assert [(w.title, w.license, w.line) for w in parsed.works] == [
        ("A", "MIT", 1),
        ("B", "CC0-1.0", 6),
    ]


def test_documents_are_read_at_the_pinned_commit(tmp_path: Path, mirrors: dict[str, Path]) -> None:
    leaf = taxonomy.load_leaf(PHOENIX)
    repo = mirrors[PHOENIX_URL]
    # A later commit changes the document: the pinned one is still what is read.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(repo), str(clone))
    (clone / "phoenix_constellation.md").write_text("rewritten\n", encoding="utf-8")
    git(clone, "commit", "--quiet", "-am", "rewrite")
    (document,) = taxonomy.read_documents(leaf, mirrors={PHOENIX_URL: clone})
    assert document.commit == "e939d433f725bf1f015164315a7699761d00565c"
    assert document.path == "phoenix_constellation.md"
    assert document.text.startswith("# Phoenix (constellation)")
    assert document.words > 150
    names = [name for name, _ in taxonomy.read_license_files(leaf, mirrors=mirrors)]
    assert names == ["LICENSE"]


def test_a_missing_commit_or_repository_names_the_leaf(
    tmp_path: Path, mirrors: dict[str, Path]
) -> None:
    root = copy_tree(VALID, tmp_path / "taxonomy")
    qna = root / "knowledge/science/astronomy/constellations/phoenix/qna.yaml"
    qna.write_text(qna.read_text().replace("e939d433", "0000d433"), encoding="utf-8")
    leaf = taxonomy.load_leaf(qna, root)
    with pytest.raises(TaxonomyError, match=r"commit 0000d433.* does not exist") as caught:
        taxonomy.read_documents(leaf, mirrors=mirrors)
    assert caught.value.path == str(qna)
    with pytest.raises(TaxonomyError, match="not available offline"):
        taxonomy.read_documents(leaf)
    with pytest.raises(TaxonomyError, match="does not exist"):
        taxonomy.read_documents(_with_repo(leaf, str(tmp_path / "no-such-repo")))
    with pytest.raises(TaxonomyError, match="cannot be cloned"):
        taxonomy.read_documents(_with_repo(leaf, f"file://{tmp_path}/gone"), cache=tmp_path / "c")


def test_remote_repositories_are_cloned_into_the_cache(
    tmp_path: Path, mirrors: dict[str, Path]
) -> None:
    leaf = _with_repo(taxonomy.load_leaf(PHOENIX), f"file://{mirrors[PHOENIX_URL]}")
    (document,) = taxonomy.read_documents(leaf, cache=tmp_path / "cache")
    assert document.text.startswith("# Phoenix")
    assert len(list((tmp_path / "cache").iterdir())) == 1
    taxonomy.read_documents(leaf, cache=tmp_path / "cache")  # the clone is reused
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_binary_huge_and_unmatched_documents_are_refused(tmp_path: Path) -> None:
    repo = tmp_path / "docs"
    commit = make_repo(
        repo,
        {
            "ok.md": b"# fine\n",
            "blob.md": b"\x00\x01binary",
            "latin1.md": "caf\xe9".encode("latin-1"),
            "huge.md": b"word " * (1 << 20),
            "scan.pdf": b"%PDF-1.7",
        },
    )
    leaf = taxonomy.load_leaf(PHOENIX)
    for pattern, message in [
        ("blob.md", "document blob.md is binary"),
        ("latin1.md", "document latin1.md is not UTF-8"),
        ("huge.md", "over the limit"),
        ("*.pdf", "document scan.pdf is not a readable PDF"),
        ("missing/*.md", "no file at commit"),
    ]:
        pinned = _with_repo(leaf, str(repo), commit=commit, patterns=(pattern,))
        with pytest.raises(TaxonomyError, match=message) as caught:
            taxonomy.read_documents(pinned)
        assert caught.value.path == str(PHOENIX / "qna.yaml")
    pinned = _with_repo(leaf, str(repo), commit=commit, patterns=("*.md",))
    with pytest.raises(TaxonomyError):  # a glob reaches the binary file too
        taxonomy.read_documents(pinned)


def test_a_relative_repository_path_is_read_from_the_taxonomy_root(tmp_path: Path) -> None:
    root = copy_tree(VALID, tmp_path / "taxonomy")
    commit = make_repo(root / "docs", {"phoenix_constellation.md": b"# Local\n"})
    qna = root / "knowledge/science/astronomy/constellations/phoenix/qna.yaml"
    text = qna.read_text().replace(PHOENIX_URL, "docs")
    qna.write_text(text.replace("e939d433f725bf1f015164315a7699761d00565c", commit))
    (document,) = taxonomy.read_documents(taxonomy.load_leaf(qna, root))
    assert document.text == "# Local\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"a: &a [x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n"
                % ((chr(98 + i).encode(),) * 2 + (chr(97 + i).encode(),) * 9)
                for i in range(9)
            ),
            "alias bomb",
        ),
        (b"version: 3\ncreated_by: caf\xe9\n", "not UTF-8 text"),
        (b"version: 3\n" + b"# padding\n" * 200_000, "over the limit"),
        (b"version: [3\n", "not valid YAML"),
        (b"- a list\n", "must hold a mapping"),
        (b"version: 3\ncreated_by: x\nseed_examples: 7\n", "seed_examples must be"),
    ],
)
def test_hostile_qna_yaml_is_refused_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    qna = tmp_path / "knowledge" / "leaf" / "qna.yaml"
    qna.parent.mkdir(parents=True)
    qna.write_bytes(content)
    with pytest.raises(TaxonomyError, match=message) as caught:
        taxonomy.load_leaf(qna)
    assert caught.value.path == str(qna)


def test_changed_leaves_follow_the_branch(tmp_path: Path) -> None:
    root = copy_tree(VALID, tmp_path / "taxonomy")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "base")
    git(root, "checkout", "--quiet", "-b", "contribution")
    assert taxonomy.changed_leaf_paths(root, "main") == ()
    assert len(taxonomy.changed_leaves(root, "empty")) == 3
    haiku = root / "compositional_skills/writing/freeform/haiku"
    (haiku / "attribution.txt").write_text("Title of work: changed\n", encoding="utf-8")
    new = root / "compositional_skills/writing/freeform/limerick"
    copy_tree(haiku, new)  # untracked
    changed = taxonomy.changed_leaves(root, "main")
    assert [leaf.name for leaf in changed] == [
        "compositional_skills/writing/freeform/haiku",
        "compositional_skills/writing/freeform/limerick",
    ]
    with pytest.raises(TaxonomyError, match="no common history") as caught:
        taxonomy.changed_leaf_paths(root, "no-such-branch")
    assert caught.value.hint is not None and "--base empty" in caught.value.hint
    with pytest.raises(TaxonomyError, match="not a git repository"):
        taxonomy.changed_leaf_paths(tmp_path / "taxonomy" / "..", "main")


def _with_repo(
    leaf: taxonomy.Leaf,
    repo: str,
    commit: str | None = None,
    patterns: tuple[str, ...] | None = None,
) -> taxonomy.Leaf:
    assert leaf.document is not None
    document = replace(
        leaf.document,
        repo=repo,
        commit=commit or leaf.document.commit,
        patterns=patterns or leaf.document.patterns,
    )
    return replace(leaf, document=document)


def _pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose page draws *lines* in Helvetica (offsets computed)."""
    text = "".join(f"({line}) Tj 0 -20 Td " for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td {text}ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def test_pdf_documents_are_read_as_text(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    repo = tmp_path / "docs"
    commit = make_repo(repo, {"phoenix.pdf": _pdf(["Phoenix is a constellation", "of the south"]),
                              "blank.pdf": _pdf([])})  # fmt: skip
    leaf = taxonomy.load_leaf(PHOENIX)
    (document,) = taxonomy.read_documents(
        _with_repo(leaf, str(repo), commit=commit, patterns=("phoenix.pdf",))
    )
    assert "Phoenix is a constellation" in document.text and "of the south" in document.text
    blank = _with_repo(leaf, str(repo), commit=commit, patterns=("blank.pdf",))
    with pytest.raises(TaxonomyError, match="a PDF without text"):
        taxonomy.read_documents(blank)
