"""Read weight files without loading tensors: safetensors and GGUF headers, pickle opcodes."""

from __future__ import annotations

from clearweights.weights.model import PickleScan, WeightsHeader
from clearweights.weights.readers import PICKLE_SUFFIXES, read_header, scan_pickle

__all__ = ["PICKLE_SUFFIXES", "PickleScan", "WeightsHeader", "read_header", "scan_pickle"]
