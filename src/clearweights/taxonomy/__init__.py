"""InstructLab-style taxonomies: typed leaves, their documents, and validation.

Example:
    >>> from clearweights import taxonomy
    >>> taxonomy.LeafKind.GROUNDED_SKILL.is_skill
    True

Read a taxonomy with :func:`load_taxonomy` (or :func:`changed_leaves` for a branch's new
leaves) and a knowledge leaf's documents with :func:`read_documents`.
"""

from __future__ import annotations

from clearweights.taxonomy._attribution import parse_attribution
from clearweights.taxonomy._git import (
    changed_leaf_paths,
    changed_leaves,
    read_documents,
    read_license_files,
    resolve_repository,
)
from clearweights.taxonomy._load import find_leaf_files, load_leaf, load_taxonomy
from clearweights.taxonomy.model import (
    AttributedWork,
    Attribution,
    Document,
    DocumentRef,
    Leaf,
    LeafKind,
    QuestionAnswer,
    SeedExample,
)

__all__ = [
    "AttributedWork",
    "Attribution",
    "Document",
    "DocumentRef",
    "Leaf",
    "LeafKind",
    "QuestionAnswer",
    "SeedExample",
    "changed_leaf_paths",
    "changed_leaves",
    "find_leaf_files",
    "load_leaf",
    "load_taxonomy",
    "parse_attribution",
    "read_documents",
    "read_license_files",
    "resolve_repository",
]
