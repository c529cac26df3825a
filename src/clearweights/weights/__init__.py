"""Read weight files without loading tensors: safetensors and GGUF headers, pickle opcodes."""

from __future__ import annotations

from clearweights.weights.model import PickleScan, WeightsHeader
from clearweights.weights.pickles import PICKLE_SUFFIXES, scan_pickle
from clearweights.weights.readers import read_header

__all__ = ["PICKLE_SUFFIXES", "PickleScan", "WeightsHeader", "read_header", "scan_pickle"]
