"""A Hugging Face repo id read from the local cache (offline), or fetched with ``--download``."""

from __future__ import annotations

from pathlib import Path

from clearweights._untrusted import read_head
from clearweights.errors import ReleaseError
from clearweights.release.model import Release
from clearweights.sources.local import LocalDirectory


def cache_folder(cache: str | Path | None = None) -> Path:
    """The Hugging Face cache folder: *cache*, else huggingface_hub's (``HF_HUB_CACHE``)."""
    if cache:
        return Path(cache)
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def repo_folder(repo_id: str, cache: str | Path | None = None) -> Path:
    """Where the cache keeps a model repo (``models--org--name``)."""
    return cache_folder(cache) / ("models--" + repo_id.replace("/", "--"))


def read_ref(folder: Path, revision: str) -> str:
    """The commit a branch or tag names (``refs/REV``), *revision* itself when there is no
    such ref (a commit), or ``""`` when the ref cannot be read."""
    ref = folder / "refs" / revision
    if not ref.is_file():
        return revision
    try:
        return read_head(ref, 256)[0].decode("utf-8").strip()
    except (OSError, ValueError):  # missing, not a regular file, not UTF-8
        return ""


def snapshot_at(repo_id: str, revision: str = "main", cache: str | Path | None = None) -> Path:
    """The cached snapshot of *repo_id* at *revision* (a branch, tag or commit).

    Raises:
        ReleaseError: the repo or that revision is not in the cache.
    """
    folder = repo_folder(repo_id, cache)
    if ".." in Path(revision).parts or Path(revision).is_absolute():
        raise ReleaseError(f"{revision!r} is not a revision", path=repo_id)
    commit = read_ref(folder, revision)
    snapshot = folder / "snapshots" / commit
    if commit and "/" not in commit and snapshot.is_dir():
        return snapshot
    if not folder.is_dir():
        raise ReleaseError("is not in the local Hugging Face cache", path=repo_id)
    raise ReleaseError(
        f"has no snapshot for revision {revision!r} in the local Hugging Face cache",
        path=repo_id,
    )


class HubCache:
    """Finds the newest cached snapshot of a model repo through huggingface_hub's cache API."""

    def __init__(self, repo_id: str, *, download: bool = False, revision: str | None = None):
        self.repo_id = repo_id
        self.download = download
        self.revision = revision

    def _snapshot(self) -> Path:
        """The snapshot ``refs/main`` names, else the newest one (read from the cache layout).

        huggingface_hub's ``scan_cache_dir`` drops a repo whose links dangle, which would hide
        the real problem; the layout is read directly so missing blobs are named instead.
        """
        folder = repo_folder(self.repo_id)
        snapshots = folder / "snapshots"
        try:
            revisions = sorted(
                (p for p in snapshots.iterdir() if p.is_dir() and not p.is_symlink()),
                key=lambda p: (p.stat().st_mtime, p.name),
                reverse=True,
            )
        except OSError:
            revisions = []
        wanted = self.revision or "main"
        if ".." in Path(wanted).parts or Path(wanted).is_absolute():
            raise ReleaseError(f"{wanted!r} is not a revision", path=self.repo_id)
        try:
            ref = read_head(folder / "refs" / wanted, 256)[0].decode("utf-8").strip()
        except (OSError, ValueError):  # missing, not a regular file, not UTF-8
            ref = wanted if self.revision else ""  # a commit is named by itself
        if self.revision and revisions and not any(p.name == ref for p in revisions):
            raise ReleaseError(
                f"has no snapshot for revision {self.revision!r} in the local Hugging Face cache",
                path=self.repo_id,
                hint="pass --download to fetch that revision from the Hub",
            )
        if not revisions:
            raise ReleaseError(
                "is not in the local Hugging Face cache",
                path=self.repo_id,
                hint="nor is it a file or folder here; pass --download to fetch it from the Hub",
            )
        return next((p for p in revisions if p.name == ref), revisions[0])

    def collect(self) -> Release:
        """Return the cached release (fetching it first only when asked)."""
        if self.download:
            from huggingface_hub import snapshot_download

            try:
                snapshot = Path(snapshot_download(self.repo_id, revision=self.revision))
            except (
                OSError,
                ValueError,
            ) as exc:  # the hub's HTTP and offline errors derive from these
                raise ReleaseError(
                    f"could not be downloaded: {exc}",
                    path=self.repo_id,
                    hint="check the repo id, your network and HF_TOKEN for gated repos",
                ) from exc
        else:
            snapshot = self._snapshot()
        repo_root = snapshot.parent.parent  # .../models--org--name/snapshots/<rev>
        source = LocalDirectory(snapshot, root=repo_root, name=self.repo_id, kind="hf-cache")
        return source.collect()
