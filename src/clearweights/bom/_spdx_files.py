"""The file elements of an SPDX 3 BOM, written as text, and their validation as written.

spdx-python-model places one stand-in file; its node in ``@graph`` becomes the file nodes, in
the library's order (by id), written from the stand-in's node as a template; its id in lists
(``element``, the ``contains`` relationship) becomes the files' ids. The document is then
validated without being read back: the schema and the profile rules see it with one file
node per purpose (parsed from its own text), and every other file is checked on the values
its template was filled with: an IRI for ``spdxId``, strings for the name and hash, each id
once. Those are the only leaves in which two file nodes of one purpose differ.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from clearweights.bom._jsontext import Raw, template
from clearweights.bom._sampled import repeated
from clearweights.bom.validate import Problem, spdx_iri, validate_spdx3

_SLOTS = tuple(f"\0slot{i}\0" for i in range(4))
_SEPARATOR = ",\n    "  # between two items of ``@graph`` (a list at level 1, as the indenter)

Row = tuple[str, str, str, str]  # a file's spdxId, name (its path), purpose and SHA-256


@dataclass(frozen=True)
class Sample:
    """The document as it is validated: one file node per purpose, parsed from its text."""

    doc: dict[str, Any]
    at: int  # where the files start in ``@graph``
    firsts: tuple[int, ...]  # the row of each file node in ``doc``, in order


def write_files(
    data: dict[str, Any], stand_in: str, rows: list[Row], in_order: list[str]
) -> Sample:
    """Put the files (*rows*, in the library's order) where the library put the stand-in, and
    their ids (*in_order*) where it listed the stand-in's; return the document as it is
    validated (see the module's note), sharing what did not change with *data*."""
    graph: list[Any] = data["@graph"]
    at = next(i for i, node in enumerate(graph) if node.get("spdxId") == stand_in)
    node = dict(graph[at])
    node.update(spdxId=_SLOTS[0], name=_SLOTS[1], software_primaryPurpose=_SLOTS[2])
    (digest,) = node["verifiedUsing"]
    node["verifiedUsing"] = [{**digest, "hashValue": _SLOTS[3]}]
    text = template(node, 2, _SLOTS, sort_keys=False, ensure_ascii=True)
    q = json.encoder.encode_basestring_ascii  # as the indenter writes strings here
    purposes = {purpose: q(purpose) for purpose in {row[2] for row in rows}}
    texts = [text.format(q(i), q(name), purposes[p], q(sha)) for i, name, p, sha in rows]
    firsts = sorted({row[2]: i for i, row in reversed(list(enumerate(rows)))}.values())
    shown = [rows[i][0] for i in firsts]
    sample = [*graph[:at], *(json.loads(texts[i]) for i in firsts), *graph[at + 1 :]]
    for i, other in enumerate(sample):
        lists = {k: v for k, v in other.items() if type(v) is list and stand_in in v}
        if lists:
            sample[i] = {**other, **{k: _swap(v, stand_in, shown) for k, v in lists.items()}}
            other.update({k: _swap(v, stand_in, in_order) for k, v in lists.items()})
    graph[at : at + 1] = [Raw(_SEPARATOR.join(texts))]
    return Sample({**data, "@graph": sample}, at, tuple(firsts))


def _swap(items: list[Any], stand_in: str, ids: list[str]) -> list[Any]:
    i = items.index(stand_in)
    return [*items[:i], *ids, *items[i + 1 :]]


_NODE = re.compile(r"^\$\.@graph\[(\d+)\]")


def check(sample: Sample, rows: list[Row]) -> list[Problem]:
    """The problems of the document :func:`write_files` wrote, from the *sample* it returned."""
    at, firsts = sample.at, sample.firsts
    iri = spdx_iri()
    problems = []
    ids = [row[0] for row in rows]
    strings = all(type(v) is str for row in rows for v in (row[1], row[3]))
    clean = strings and all(type(i) is str for i in ids) and all(map(iri.search, ids))
    for i, (spdx_id, name, _, sha) in enumerate(() if clean else rows):  # which one is not
        where = f"$.@graph[{at + i}]"
        if not (type(spdx_id) is str and iri.search(spdx_id)):
            problems.append(Problem(f"{where}.spdxId", "is not an IRI"))
        if type(name) is not str or type(sha) is not str:
            problems.append(Problem(where, "has a name or hash value that is not a string"))
    problems += repeated(ids, "$.@graph[*].spdxId")

    def whole(m: re.Match[str]) -> str:
        i = int(m[1])  # an index in the sample: before, among or after its files
        if at <= i < at + len(firsts):
            return f"$.@graph[{at + firsts[i - at]}]"
        return f"$.@graph[{i if i < at else i - len(firsts) + len(rows)}]"

    found = [Problem(_NODE.sub(whole, p.path), p.message) for p in validate_spdx3(sample.doc)]
    return found + problems
