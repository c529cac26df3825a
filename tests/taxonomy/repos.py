"""Turn committed fixture files into git repositories with reproducible commits.

Fixed author, committer and dates make the commit id a function of the files alone, so the
``qna.yaml`` fixtures can pin it like real leaves pin theirs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
DOCUMENTS = HERE / "documents"
LICENCES = HERE.parent / "corpus" / "licences"

# Repository URL in the fixtures -> (folder under documents/, licence text from the corpus).
FIXTURE_REPOS = {
    "https://github.com/clearweights-fixtures/phoenix-docs": ("phoenix", "CC-BY-SA-4.0"),
    "https://github.com/clearweights-fixtures/history-docs": ("history", None),
}

_ENV = {
    "GIT_AUTHOR_NAME": "Fixture Author",
    "GIT_AUTHOR_EMAIL": "fixtures@example.org",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000",
    "GIT_COMMITTER_NAME": "Fixture Author",
    "GIT_COMMITTER_EMAIL": "fixtures@example.org",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    """Run git in *repo* with the fixed identity; return stdout."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        env={**os.environ, **_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_repo(dest: Path, files: dict[str, bytes], message: str = "Add documents") -> str:
    """Create a git repository at *dest* holding *files*; return the commit id."""
    dest.mkdir(parents=True, exist_ok=True)
    git(dest, "init", "--quiet", "--initial-branch=main")
    for name, data in files.items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o644)
    git(dest, "add", "--all")
    git(dest, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", message)
    return git(dest, "rev-parse", "HEAD")


def fixture_files(folder: str, licence: str | None) -> dict[str, bytes]:
    """The files of one fixture repository (documents, plus a real licence text as LICENSE)."""
    files = {
        path.relative_to(DOCUMENTS / folder).as_posix(): path.read_bytes()
        for path in sorted((DOCUMENTS / folder).rglob("*"))
        if path.is_file()
    }
    if licence is not None:
        files["LICENSE"] = (LICENCES / f"{licence}.txt").read_bytes()
    return files


def build_fixture_repos(dest: Path) -> dict[str, Path]:
    """Build every fixture repository under *dest*; return URL -> local clone (mirrors)."""
    mirrors = {}
    for url, (folder, licence) in FIXTURE_REPOS.items():
        make_repo(dest / folder, fixture_files(folder, licence))
        mirrors[url] = dest / folder
    return mirrors


def copy_tree(source: Path, dest: Path) -> Path:
    """Copy a fixture taxonomy into *dest* (tests never touch the committed files)."""
    shutil.copytree(source, dest)
    return dest
