"""A licence file that cannot be read leaves what it covers unknown, and is named (fail closed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clearweights.audit import audit_release
from clearweights.components import MofComponent as M
from clearweights.licenses import identify_bytes, identify_file
from tests.hostile import corpus as hc

# A LICENSE that is not text: a PDF's first bytes saved under the text's name, and a licence
# in an encoding that is neither UTF-8 nor readable as Windows-1252 (UTF-16 without its BOM).
_BINARY = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00endobj\n"
_UTF16_NO_BOM = hc.MIT.encode("utf-16-le")
_BAD_BYTES = bytes(range(0x80, 0x100)) * 40


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_BINARY, "binary file"),
        (_UTF16_NO_BOM, "binary file"),
        (_BAD_BYTES, "not valid UTF-8"),
    ],
    ids=["pdf-bytes", "utf16-without-bom", "invalid-encoding"],
)
def test_an_unreadable_licence_leaves_the_weights_unknown(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    # The card says MIT, but the LICENSE beside the weights may say anything.
    folder = hc.release(tmp_path / "r", {"LICENSE": content, "modeling_tiny.py": "import torch\n"})
    audit = audit_release(str(folder))
    components = {c.kind: c for c in audit.components}
    for kind in (M.MODEL_PARAMETERS_FINAL, M.MODEL_ARCHITECTURE):
        assert components[kind].licences == (), kind
        assert components[kind].licence_name is None
        assert "LICENSE (cannot be read" in components[kind].licence_source
    found = [f for f in audit.findings if f.code == "LIC-UNREADABLE"]
    assert len(found) == 1
    assert found[0].severity.value == "medium"
    assert found[0].evidence == ("LICENSE",)
    assert reason in found[0].message
    assert audit.profile("redhat").verdict.value != "pass"  # type: ignore[union-attr]


def test_a_readable_licence_in_latin_1_is_still_read(tmp_path: Path) -> None:
    text = "MIT License\n\nCopyright \u00a9 2024 J\u00fcrgen M\u00fcller\n\n" + hc.MIT
    result = identify_bytes(text.encode("latin-1"), "LICENSE")
    assert result.error is None
    assert [m.licence.id for m in result.licences] == ["MIT"]
    assert any("Windows-1252" in note for note in result.notes)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_licence_without_read_permission_is_named(tmp_path: Path) -> None:
    path = tmp_path / "LICENSE"
    path.write_text(hc.MIT, encoding="utf-8")
    path.chmod(0)
    try:
        assert identify_file(path).error == "permission denied"
    finally:
        path.chmod(0o644)
