"""A Hugging Face repo id read from the local cache (offline), or fetched with ``--download``."""

from __future__ import annotations

from pathlib import Path

from clearweights.errors import ReleaseError
from clearweights.release.model import Release
from clearweights.sources.local import LocalDirectory


class HubCache:
    """Finds the newest cached snapshot of a model repo through huggingface_hub's cache API."""

    def __init__(self, repo_id: str, *, download: bool = False):
        self.repo_id = repo_id
        self.download = download

    def _snapshot(self) -> Path:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound

        try:
            cache = scan_cache_dir()
        except CacheNotFound as exc:
            raise ReleaseError(
                "is not in the local Hugging Face cache (no cache found)",
                path=self.repo_id,
                hint="pass --download to fetch it from the Hub",
            ) from exc
        repos = [r for r in cache.repos if r.repo_id == self.repo_id and r.repo_type == "model"]
        revisions = sorted(
            (rev for repo in repos for rev in repo.revisions),
            key=lambda rev: rev.last_modified,
            reverse=True,
        )
        if not revisions:
            raise ReleaseError(
                "is not in the local Hugging Face cache",
                path=self.repo_id,
                hint="pass --download to fetch it from the Hub",
            )
        return Path(revisions[0].snapshot_path)

    def collect(self) -> Release:
        """Return the cached release (fetching it first only when asked)."""
        if self.download:
            from huggingface_hub import snapshot_download

            try:
                snapshot = Path(snapshot_download(self.repo_id))
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
