"""Audit many releases: lazy sources, a process pool, JSON Lines and the result store.

Example:
    >>> from clearweights.scale import scan, sources_for
    >>> summary = scan(sources_for(["examples/releases"]), store=None)  # doctest: +SKIP
"""

from __future__ import annotations

from clearweights.scale.engine import ScanObserver, ScanSummary, scan
from clearweights.scale.items import Item
from clearweights.scale.sources import ScanSource, hf_cache_source, list_source, sources_for

__all__ = [
    "Item",
    "ScanObserver",
    "ScanSource",
    "ScanSummary",
    "hf_cache_source",
    "list_source",
    "scan",
    "sources_for",
]
