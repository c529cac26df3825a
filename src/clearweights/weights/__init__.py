"""Read weight files without loading tensors: safetensors and GGUF headers, pickle opcodes."""

from __future__ import annotations

from clearweights.weights.model import PickleIssue, PickleScan, WeightsHeader
from clearweights.weights.pickles import PICKLE_SUFFIXES, scan_pickle, scan_release_file
from clearweights.weights.readers import read_header

__all__ = [
    "PICKLE_SUFFIXES",
    "PickleIssue",
    "PickleScan",
    "WeightsHeader",
    "read_header",
    "scan_pickle",
    "scan_release_file",
]
