"""Synthetic training data from taxonomy leaves, through a teacher behind any OpenAI-compatible
API, with the teacher's licence checked first and every sample's provenance recorded.

Example:
    >>> from pathlib import Path
    >>> from clearweights.generate import GenerateOptions, Teacher, generate
    >>> teacher = Teacher("http://127.0.0.1:8000/v1", "my-teacher")
    >>> result = generate(leaves, teacher, GenerateOptions(Path("data")))  # doctest: +SKIP
    >>> result.card  # doctest: +SKIP
    'data/README.md'
"""

from __future__ import annotations

from clearweights.generate.blocks import Deduplicate, Generate, JudgeFilter, Parse
from clearweights.generate.engine import generate, mix
from clearweights.generate.model import (
    BlockStats,
    GenerateResult,
    GenLeaf,
    LeafKind,
    LeafResult,
    Sampling,
    Seed,
    SourceDocument,
    Teacher,
)
from clearweights.generate.observe import GenerateObserver, LeafProgress, SilentObserver
from clearweights.generate.pipeline import Pipeline, builtin, from_dict, load, to_yaml
from clearweights.generate.run import GenerateOptions
from clearweights.generate.teacher import TeacherClient
from clearweights.generate.teacher_license import TeacherLicence, check_teacher_license

__all__ = [
    "BlockStats",
    "Deduplicate",
    "GenLeaf",
    "Generate",
    "GenerateObserver",
    "GenerateOptions",
    "GenerateResult",
    "JudgeFilter",
    "LeafKind",
    "LeafProgress",
    "LeafResult",
    "Parse",
    "Pipeline",
    "Sampling",
    "Seed",
    "SilentObserver",
    "SourceDocument",
    "Teacher",
    "TeacherClient",
    "TeacherLicence",
    "builtin",
    "check_teacher_license",
    "from_dict",
    "generate",
    "load",
    "mix",
    "to_yaml",
]
