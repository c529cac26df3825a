"""A Hub query as a scan source: cards, file lists and licence files, never weights.

``--hub "author=org,search=llama"`` lists models through ``huggingface_hub``
(``list_models(cardData=True)``), asks each one's file list with sizes and LFS hashes
(``model_info(files_metadata=True)``) at ``--revision``, and downloads only its model card and
licence files. Each repository becomes a metadata row, the same row a Hub dump gives, so it is
audited as the dump row or the directory holding the same files would be. ``model_info`` calls
run a few at a time on threads (:data:`INFO_THREADS`), in the listing's order. With
``--weights-headers`` the worker also reads each safetensors file's header by range requests
(:mod:`clearweights.scale.hub_headers`), never its weights.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearweights.errors import ClearweightsError, ReleaseError, UsageError
from clearweights.release.card import MAX_CARD_BYTES
from clearweights.release.model import Release
from clearweights.scale.items import Item
from clearweights.scale.rows import SOURCE, row_item

# The files read besides the card: licences and notices, whatever their case or extension.
_TEXTS = re.compile(r"^(?:[^/]*licen[cs]e[^/]*|copying[^/]*|notice[^/]*|use_policy[^/]*)$", re.I)
_CARD = "README.md"
_FIELDS = {"author", "search", "filter", "pipeline_tag", "limit", "sort"}
INFO_THREADS = 8  # model_info calls at a time: network-bound, a few threads hide the latency


def parse_query(text: str) -> dict[str, Any]:
    """``author=x,search=y`` as ``list_models`` arguments (``filter`` may repeat).

    Raises:
        UsageError: an unknown field, or a pair without ``=``.
    """
    query: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in _FIELDS or not value:
            known = ", ".join(sorted(_FIELDS))
            raise UsageError(f"--hub: {part!r} is not FIELD=VALUE with a field among {known}")
        if name == "limit":
            if not value.isdigit():
                raise UsageError(f"--hub: limit must be a number, not {value!r}")
            query[name] = int(value)
        elif name == "filter":
            query.setdefault("filter", []).append(value)
        else:
            query[name] = value
    if not query:
        raise UsageError("--hub needs at least one FIELD=VALUE (author=..., search=...)")
    return query


def _endpoint() -> str:
    from huggingface_hub import constants

    # Read now, not at import: HF_ENDPOINT may point at a mirror set after start-up.
    return os.environ.get("HF_ENDPOINT") or constants.ENDPOINT


@dataclass(frozen=True)
class HubQuery:
    """The models a Hub query lists, each at *revision* (a branch, tag or commit)."""

    query: dict[str, Any]
    revision: str | None = None
    headers: bool = False  # read safetensors headers by range requests
    threads: int = INFO_THREADS

    def count(self) -> int | None:
        """Unknown until the listing is read."""
        return None

    def items(self) -> Iterator[Item]:
        """One item per listed model; a model that cannot be read is an error item.

        Raises:
            ClearweightsError: the Hub cannot be reached at all (offline, no network).
        """
        from huggingface_hub import HfApi

        api = HfApi(endpoint=_endpoint())
        try:
            listing = iter(api.list_models(cardData=True, **self.query))
            first = next(listing, None)
        except Exception as exc:  # offline mode, DNS, refused connection, HTTP errors
            raise ClearweightsError(
                f"could not list models on the Hub at {api.endpoint}: {_why(exc)}",
                hint="check the network (or HF_ENDPOINT / HF_HUB_OFFLINE), or scan a Hub "
                "dump or the local cache instead",
            ) from None
        if first is None:
            return
        models = itertools.chain((first,), _rest(listing, api.endpoint))
        with ThreadPoolExecutor(self.threads, thread_name_prefix="hub-info") as pool:
            flight: deque[Future[Item]] = deque()
            for model in models:  # bounded: at most two calls per thread ahead of the scan
                flight.append(pool.submit(self._item, api, str(model.id)))
                if len(flight) >= 2 * self.threads:
                    yield flight.popleft().result()
            while flight:
                yield flight.popleft().result()

    def _item(self, api: Any, repo_id: str) -> Item:
        try:
            row = hub_row(api, repo_id, self.revision)
        except Exception as exc:  # a gated, deleted or broken repo: recorded, the run goes on
            error = f"{repo_id}: could not be read from the Hub: {_why(exc)}"
            return Item(SOURCE, repo_id, self.revision or "", error=error)
        item = row_item(row, f"hub:{repo_id}")
        if item.row is None:  # a malformed answer: the error item says why
            return item
        # The texts are downloaded by the worker that audits the release, and only when it
        # is audited: an unchanged release costs one request, for its revision.
        fetch: dict[str, Any] = {"endpoint": api.endpoint, "files": row["fetch"]}
        if self.headers:
            from clearweights.scale.hub_headers import header_files

            fetch["headers"] = header_files(item.row["siblings"])
        return dataclasses.replace(item, row={**item.row, "fetch": fetch})


def _rest(listing: Iterator[Any], endpoint: str) -> Iterator[Any]:
    try:
        yield from listing
    except Exception as exc:  # the connection lost between pages
        raise ClearweightsError(
            f"the Hub listing at {endpoint} stopped: {_why(exc)}",
            hint="the models listed before it are audited; run the same scan again",
        ) from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def hub_row(api: Any, repo_id: str, revision: str | None) -> dict[str, Any]:
    """The metadata row of one repository; ``fetch`` names the texts to download."""
    info = api.model_info(repo_id, revision=revision, files_metadata=True)
    siblings, fetch = [], []
    for sibling in info.siblings or []:
        lfs = sibling.lfs
        entry: dict[str, Any] = {"rfilename": sibling.rfilename, "size": sibling.size}
        if lfs is not None:
            entry["lfs"] = {"sha256": lfs.sha256, "size": lfs.size}
        siblings.append(entry)
        wanted = sibling.rfilename == _CARD or _TEXTS.match(sibling.rfilename)
        if wanted and lfs is None and (sibling.size or 0) <= MAX_CARD_BYTES:
            fetch.append(sibling.rfilename)  # never weights or other LFS files
    modified = info.last_modified.isoformat() if info.last_modified else None
    card_data = None if _CARD in fetch else _card_data(info)
    return {"id": repo_id, "sha": info.sha, "lastModified": modified, "tags": info.tags or [],
            "siblings": siblings, "cardData": card_data, "fetch": fetch}  # fmt: skip


def fetch_texts(item: Item) -> dict[str, Any]:
    """The row of a Hub item with its card and licence texts downloaded (at its commit).

    Raises:
        ReleaseError: a file could not be downloaded.
    """
    from huggingface_hub import hf_hub_download

    row = dict(item.row or {})
    fetch = row.pop("fetch")
    texts: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="clearweights-hub-") as folder:
        for name in fetch["files"]:
            try:
                path = hf_hub_download(item.key, name, revision=item.revision, cache_dir=folder,
                                       endpoint=fetch["endpoint"])  # fmt: skip
            except Exception as exc:  # network, HTTP and offline errors of huggingface_hub
                raise ReleaseError(
                    f"{name} could not be downloaded from the Hub: {_why(exc)}", path=item.key
                ) from None
            texts[name] = Path(path).read_bytes()[:MAX_CARD_BYTES]
    row["card"] = texts.pop(_CARD, None)
    row["texts"] = {**row["texts"], **texts}
    if fetch.get("headers"):
        from clearweights.scale.hub_headers import read_headers

        row["weights_headers"] = read_headers(
            item.key, item.revision, fetch["headers"], fetch["endpoint"]
        )
    return row


def with_headers(release: Release, row: dict[str, Any]) -> Release:
    """The release of a Hub row with the safetensors headers read for it, if any."""
    found = row.get("weights_headers") or ()
    return dataclasses.replace(release, remote_headers=tuple(found)) if found else release


def _card_data(info: Any) -> dict[str, Any] | None:
    data = getattr(info, "card_data", None)
    return data.to_dict() if data is not None else None
