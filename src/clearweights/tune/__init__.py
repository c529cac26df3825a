"""Community fine-tuning, part 2: LoRA training, evaluation with confidence intervals, and a
release that passes clearweights' own audit.

Needs the ``tune`` extra (torch, transformers, TRL, PEFT); importing this package does not
import them: each step imports what it needs when it runs.
"""

from __future__ import annotations

from clearweights.tune.data import Provenance, Sample, load_samples, provenance, split
from clearweights.tune.evaluate import EvalConfig, EvalReport, evaluate
from clearweights.tune.gate import Duty, GatePlan, Refusal, plan
from clearweights.tune.release import ReleaseResult, ReleaseSpec, release
from clearweights.tune.stats import Interval, paired_bootstrap
from clearweights.tune.train import TrainConfig, TrainResult, train

__all__ = [
    "Duty",
    "EvalConfig",
    "EvalReport",
    "GatePlan",
    "Interval",
    "Provenance",
    "Refusal",
    "ReleaseResult",
    "ReleaseSpec",
    "Sample",
    "TrainConfig",
    "TrainResult",
    "evaluate",
    "load_samples",
    "paired_bootstrap",
    "plan",
    "provenance",
    "release",
    "split",
    "train",
]
