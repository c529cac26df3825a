"""Git access for taxonomies: leaves changed against a base, documents at a pinned commit.

Only the ``git`` executable is used (no library); every call has a timeout, no hooks or pagers
run, and document blobs are sized with ``ls-tree`` before a byte is read.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import hashlib
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from clearweights.errors import RepositoryUnavailableError, TaxonomyError
from clearweights.taxonomy._load import load_leaf
from clearweights.taxonomy.model import ATTRIBUTION_FILE, QNA_FILE, Document, Leaf

GIT_TIMEOUT_S = 120
MAX_DOCUMENT_BYTES = 4 << 20  # one Markdown or text document
MAX_LEAF_DOCUMENT_BYTES = 16 << 20  # all of one leaf's documents together
DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".rst")
EMPTY_BASE = "empty"  # upstream's name for "every leaf is new"

_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_PAGER": "cat",
    "LC_ALL": "C",
}


class GitError(Exception):
    """A git command failed; ``str()`` is git's own message."""


def git(repo: Path, *args: str, timeout: float = GIT_TIMEOUT_S) -> bytes:
    """Run ``git -C repo args`` and return stdout (raises :class:`GitError`)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **_ENV},
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def _lines(data: bytes) -> list[str]:
    return [line for line in data.decode("utf-8", "surrogateescape").split("\0") if line]


def changed_leaf_paths(root: str | Path, base_ref: str) -> tuple[Path, ...]:
    """The ``qna.yaml`` files under *root* added or changed since *base_ref*.

    Like ``ilab taxonomy diff``: compared from the merge base of *base_ref* and ``HEAD`` to the
    working tree, untracked files included; a changed ``attribution.txt`` marks its leaf
    changed too. ``base_ref="empty"`` returns every leaf.

    Raises:
        TaxonomyError: *root* is not in a git repository, or *base_ref* is unknown.
    """
    base = Path(root).resolve()
    try:
        top = Path(git(base, "rev-parse", "--show-toplevel").decode().strip())
    except GitError as exc:
        raise TaxonomyError(f"not a git repository: {exc}", path=base) from exc
    if base_ref == EMPTY_BASE:
        names = _lines(git(top, "ls-files", "-z", "--cached", "--others", "--exclude-standard"))
    else:
        try:
            merge_base = git(top, "merge-base", base_ref, "HEAD").decode().strip()
        except GitError as exc:
            raise TaxonomyError(
                f"base {base_ref!r} has no common history with HEAD: {exc}",
                path=base,
                hint="fetch the base branch first, or pass --base empty to check every leaf",
            ) from exc
        names = _lines(git(top, "diff", "-z", "--name-only", "--diff-filter=d", merge_base))
        names += _lines(git(top, "ls-files", "-z", "--others", "--exclude-standard"))
    found: set[Path] = set()
    for name in names:
        file = top / name
        if file.name in (QNA_FILE, ATTRIBUTION_FILE) and file.is_relative_to(base):
            qna = file.parent / QNA_FILE
            if qna.is_file():
                found.add(Path(root) / qna.relative_to(base))
    return tuple(sorted(found))


def changed_leaves(root: str | Path, base_ref: str) -> tuple[Leaf, ...]:
    """The leaves under *root* added or changed since *base_ref* (see ``changed_leaf_paths``)."""
    return tuple(load_leaf(path, root) for path in changed_leaf_paths(root, base_ref))


def is_path(repo: str) -> bool:
    """A plain path (used in place); URLs, ``file://`` included, are cloned into the cache."""
    return "://" not in repo and not repo.startswith("git@")


def local_repository(repo: str, root: Path) -> Path:
    """The directory of a repository given as a path (relative paths from the taxonomy root)."""
    path = Path(repo).expanduser()
    return path if path.is_absolute() else root / path


def taxonomy_root(leaf: Leaf) -> Path:
    """The taxonomy root a leaf was read from (its directory less the leaf's name)."""
    directory = leaf.directory
    depth = len(leaf.name.split("/"))
    return directory.parents[depth - 1] if depth <= len(directory.parents) else directory


def _clone(repo: str, cache: Path, leaf: Leaf) -> Path:
    """A bare clone of a remote *repo* in *cache* (reused when present)."""
    target = cache / hashlib.sha256(repo.encode()).hexdigest()[:24]
    if not (target / "HEAD").exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            git(cache, "clone", "--bare", "--quiet", "--", repo, str(target))
        except GitError as exc:
            raise RepositoryUnavailableError(
                f"document repository {repo} cannot be cloned: {exc}", path=leaf.path
            ) from exc
    return target


def resolve_repository(
    leaf: Leaf, *, mirrors: Mapping[str, Path] | None = None, cache: Path | None = None
) -> Path:
    """The local git directory holding *leaf*'s documents.

    Args:
        leaf: a knowledge leaf.
        mirrors: repository URL → local clone, tried first (offline use, tests).
        cache: where remote repositories are cloned; ``None`` refuses to reach the network.

    Raises:
        TaxonomyError: the leaf has no document, or its repository is not available.
    """
    if leaf.document is None:
        raise TaxonomyError(f"leaf {leaf.name} names no document repository", path=leaf.path)
    repo = leaf.document.repo
    if mirrors and repo in mirrors:
        return mirrors[repo]
    if is_path(repo):
        local = local_repository(repo, taxonomy_root(leaf))
        if not local.is_dir():
            raise TaxonomyError(f"document repository {repo} does not exist", path=leaf.path)
        return local
    if cache is None:
        raise RepositoryUnavailableError(
            f"document repository {repo} is not available offline",
            path=leaf.path,
            hint="map it to a local clone (mirrors), or allow cloning into a cache directory",
        )
    return _clone(repo, cache, leaf)


_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@functools.lru_cache(maxsize=1024)
def _resolve(git_dir: Path, commit: str) -> str | None:
    """The full id of *commit*, or ``None``; cached only for full ids (they cannot move)."""
    try:
        return (
            git(git_dir, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
            .decode()
            .strip()
        )
    except GitError:
        return None


def _ours(git_dir: Path, cache: Path | None) -> bool:
    """Whether *git_dir* is a clone clearweights made (the only kind it fetches into)."""
    return cache is not None and git_dir.resolve().is_relative_to(cache.resolve())


def _commit(git_dir: Path, leaf: Leaf, commit: str, fetch: bool) -> str:
    repo = leaf.document.repo if leaf.document else str(git_dir)
    if not _FULL_SHA.fullmatch(commit):
        _resolve.cache_clear()  # a branch or tag may have moved since the last call
    found = _resolve(git_dir, commit)
    if found is None and fetch:  # our clone may predate the commit: ask its origin once
        with contextlib.suppress(GitError):  # a failed fetch is reported as a missing commit
            git(git_dir, "fetch", "--quiet", "origin", commit)
        _resolve.cache_clear()
        found = _resolve(git_dir, commit)
    if found is None:
        raise TaxonomyError(
            f"commit {commit} does not exist in document repository {repo}",
            path=leaf.path,
            hint="pin a commit that is pushed to the repository (git log shows them)",
        )
    return found


@functools.lru_cache(maxsize=256)
def _tree(git_dir: Path, sha: str) -> tuple[tuple[str, str, int], ...]:
    """(path, blob, size) of every file in the commit (cached: a commit never changes)."""
    entries = []
    for line in _lines(git(git_dir, "ls-tree", "-r", "-l", "-z", "--full-tree", sha)):
        meta, _, name = line.partition("\t")
        mode, kind, blob, size = meta.split()
        if kind == "blob" and mode != "120000":  # symlinks are never followed
            entries.append((name, blob, int(size)))
    return tuple(entries)


@functools.lru_cache(maxsize=32)  # documents are at most 4 MiB each
def _blob(git_dir: Path, blob: str) -> bytes:
    """A blob's content (cached by its id, which is its content's hash)."""
    return git(git_dir, "cat-file", "blob", blob)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    posix = PurePosixPath(name)
    return any(posix.match(p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _decode(data: bytes, leaf: Leaf, name: str) -> str:
    if name.lower().endswith(".pdf"):
        from clearweights.taxonomy._pdf import pdf_text

        return pdf_text(data, leaf, name)
    if b"\0" in data[:8192]:
        raise TaxonomyError(f"document {name} is binary, not Markdown or text", path=leaf.path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"document {name} is not UTF-8 text", path=leaf.path) from exc


def _check_document(leaf: Leaf, name: str, size: int) -> None:
    if not name.lower().endswith((*DOCUMENT_SUFFIXES, ".pdf")):
        raise TaxonomyError(
            f"document {name} is not Markdown, plain text ({', '.join(DOCUMENT_SUFFIXES)}) or PDF",
            path=leaf.path,
            hint="convert it to Markdown, or narrow document.patterns",
        )
    if size > MAX_DOCUMENT_BYTES:
        raise TaxonomyError(
            f"document {name} is {size} bytes, over the limit of {MAX_DOCUMENT_BYTES} bytes",
            path=leaf.path,
            hint="split the document, or point the patterns at the part the leaf is about",
        )


def read_documents(
    leaf: Leaf, *, mirrors: Mapping[str, Path] | None = None, cache: Path | None = None
) -> tuple[Document, ...]:
    """The knowledge documents of *leaf*, read from its repository at the pinned commit.

    Files matching ``document.patterns`` are read from the commit itself (never from a
    working tree), Markdown and plain text only, each bounded in size.

    Raises:
        TaxonomyError: naming the leaf when the repository or commit does not exist, no file
            matches, or a document is binary, not UTF-8 or too large.
    """
    git_dir = resolve_repository(leaf, mirrors=mirrors, cache=cache)
    assert leaf.document is not None  # resolve_repository refuses leaves without one
    sha = _commit(git_dir, leaf, leaf.document.commit, _ours(git_dir, cache))
    chosen = [e for e in _tree(git_dir, sha) if _matches(e[0], leaf.document.patterns)]
    if not chosen:
        raise TaxonomyError(
            f"no file at commit {sha[:12]} matches the patterns {list(leaf.document.patterns)}",
            path=leaf.path,
        )
    total = 0
    documents = []
    for name, blob, size in chosen:
        _check_document(leaf, name, size)
        total += size
        if total > MAX_LEAF_DOCUMENT_BYTES:
            raise TaxonomyError(
                f"documents total over {MAX_LEAF_DOCUMENT_BYTES} bytes", path=leaf.path
            )
        text = _decode(_blob(git_dir, blob), leaf, name)
        documents.append(Document(leaf.name, leaf.document.repo, sha, name, blob, text))
    return tuple(documents)


LICENSE_FILE_NAMES = ("license", "licence", "copying", "notice")
MAX_LICENSE_FILE_BYTES = 1 << 20


def read_license_files(
    leaf: Leaf, *, mirrors: Mapping[str, Path] | None = None, cache: Path | None = None
) -> tuple[tuple[str, bytes], ...]:
    """The licence files at the top of the document repository, at the pinned commit.

    Returns ``(path, content)`` pairs (``LICENSE``, ``LICENCE*``, ``COPYING*``, ``NOTICE*``);
    files over 1 MiB are skipped.
    """
    git_dir = resolve_repository(leaf, mirrors=mirrors, cache=cache)
    assert leaf.document is not None
    sha = _commit(git_dir, leaf, leaf.document.commit, _ours(git_dir, cache))
    found = []
    for name, blob, size in _tree(git_dir, sha):
        stem = name.lower().split(".", 1)[0]
        if (
            "/" not in name
            and stem.startswith(LICENSE_FILE_NAMES)
            and size <= MAX_LICENSE_FILE_BYTES
        ):
            found.append((name, _blob(git_dir, blob)))
    return tuple(found)
