"""The registry decides what is open from the catalogue, not from what a document claims."""

from __future__ import annotations

import json

from clearweights.server.index import WEIGHTS_CID, facts
from clearweights.server.ui.release_view import _state


def _document(license_id: str, category: str, osi: bool) -> tuple[str, dict[str, object]]:
    weights = {
        "cid": WEIGHTS_CID,
        "license": {"licenses": [{"id": license_id, "name": license_id, "category": category,
                                  "terms": {"osi_approved": osi}}]},
    }  # fmt: skip
    return json.dumps({"audits": [{"components": [weights]}]}), weights


def test_a_posted_document_cannot_make_a_restricted_licence_open() -> None:
    llama = "LicenseRef-scancode-llama-3.1-license-2024"
    document, weights = _document(llama, "permissive", True)  # a forged claim
    assert facts(document).weights_open is False
    assert _state(weights) == "restricted"
    document, weights = _document("Apache-2.0", "permissive", True)
    assert facts(document).weights_open is True
    assert _state(weights) == "open"
    document, weights = _document(
        "LicenseRef-clearweights-incomplete-Apache-2.0", "permissive", True
    )
    assert facts(document).weights_open is False  # not a catalogue record: never open


def test_documents_not_shaped_as_audits_give_empty_facts() -> None:
    odd_weights = json.dumps({"audits": [{"components": [{"cid": WEIGHTS_CID, "license": "MIT"}]}]})
    shapes = ['{"audits": "x"}', '{"audits": [1]}', "[1, 2]", '{"audits": [{"card": 3}]}',
              odd_weights, "not json"]  # fmt: skip
    for document in shapes:
        found = facts(document)
        assert found.weights_open is False and found.license_name is None, document
