"""Short notices, identifier lines, model-card fields and names as people write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearweights.errors import UnknownLicenceError, UsageError
from clearweights.inventory.licence_files import read_licence_files
from clearweights.licenses import (
    Licence,
    MatchKind,
    get,
    identify,
    identify_name,
    parse_expression,
)
from clearweights.release.model import ReleaseFile
from tests.conftest import read_labels


@pytest.mark.parametrize(("text", "expected"), read_labels("labels.tsv"))
def test_notice_identified(text: str, expected: str) -> None:
    found = identify(text)
    assert found.licences, text
    assert found.licences[0].licence.id == expected
    assert found.licences[0].match in (MatchKind.NOTICE, MatchKind.ALIAS)
    assert found.licences[0].evidence


@pytest.mark.parametrize(("name", "expected"), read_labels("names.tsv"))
def test_name_resolved(name: str, expected: str) -> None:
    match = identify_name(name)
    assert match is not None, name
    assert match.licence.id == expected


@pytest.mark.parametrize("name", ["openrail", "cc", "bsd", "other", "unknown", "license", "banana"])
def test_families_and_unknown_names_resolve_to_nothing(name: str) -> None:
    assert identify_name(name) is None


def test_hf_bsl_is_boost_not_business_source() -> None:
    assert get("bsl-1.0").id == "BSL-1.0"
    assert "Boost" in get("bsl-1.0").name


def test_expression_is_normalised_with_refs_and_hub_ids() -> None:
    expr = parse_expression("mit or apache-2.0 AND llama3.1 WITH Classpath-exception-2.0")
    assert (
        expr.normalized == "MIT OR (Apache-2.0 AND LicenseRef-scancode-llama-3.1-license-2024"
        " WITH Classpath-exception-2.0)"
    )
    assert expr.exceptions == ("Classpath-exception-2.0",)
    assert parse_expression("GPL-2.0+").normalized == "GPL-2.0-or-later"
    assert parse_expression("LicenseRef-my-own").unknown == ("LicenseRef-my-own",)


def test_bad_expression_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_expression("MIT OR OR")


def test_unknown_id_suggests_close_ids() -> None:
    with pytest.raises(UnknownLicenceError) as info:
        get("Apache-2.1")
    assert "Apache-2.0" in info.value.diagnostics()


def test_several_notices_in_one_file() -> None:
    text = (
        "Llama 3.1 is licensed under the Llama 3.1 Community License.\n"
        "The tokenizer code is released under the MIT License.\n"
    )
    ids = [m.licence.id for m in identify(text).licences]
    assert ids == ["LicenseRef-scancode-llama-3.1-license-2024", "MIT"]


def test_every_catalogue_record_answers_to_its_id_and_name() -> None:
    from clearweights.licenses import catalogue

    for licence in catalogue():
        by_id = identify_name(licence.id)
        assert by_id is not None, licence.id
        # A deprecated SPDX id answers with the id that replaced it (GPL-3.0: GPL-3.0-only).
        assert by_id.licence.id == licence.id or (
            licence.deprecated and not by_id.licence.deprecated
        ), licence.id
        by_name = identify_name(licence.name)
        assert by_name is not None, licence.name
        assert by_name.licence.name == licence.name or licence.deprecated


@pytest.mark.parametrize(
    "text",
    [
        "Licensed under the Apache License, Version 2.0, except that commercial use is prohibited.",
        "This model is released under the MIT License. You may not use the model for commercial"
        " purposes.",
        "The weights are available under the MIT license for non-commercial research use only.",
    ],
)
def test_an_open_licence_named_with_a_restriction_beside_it_is_never_open(text: str) -> None:
    found = identify(text).licences
    assert found
    assert all(not m.licence.osi_approved for m in found), [m.licence.id for m in found]
    assert all(m.licence.terms.commercial_use.value is not True for m in found)


def test_an_open_licence_named_beside_a_permission_stays_open() -> None:
    text = "This model is released under the MIT License. Commercial use is welcome."
    assert [m.licence.id for m in identify(text).licences] == ["MIT"]


@pytest.mark.parametrize(
    "name",
    [
        "Apache-2.0 (modified, research use only)",
        "[Apache 2.0](LICENSE) plus the use restrictions in Attachment A",
        "MIT (non-commercial use only)",
    ],
)
def test_a_name_with_an_aside_that_changes_it_does_not_resolve_to_the_open_licence(
    name: str,
) -> None:
    match = identify_name(name)
    assert match is None or not match.licence.osi_approved


# A licence file as repositories write it when each part has its own licence.
_PARTS = """# License

This repository holds several parts, each under its own licence:

- Code: [Apache License 2.0](http://www.apache.org/licenses/LICENSE-2.0)
- Model weights: [Llama 3.1 Community License](https://llama.com/llama3_1/license/)
- Training data: [CC BY-NC 4.0](https://creativecommons.org/licenses/by-nc/4.0/)
- Documentation: [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)
"""


def test_a_list_of_licence_links_names_every_licence() -> None:
    found = identify(_PARTS).licences
    assert [m.licence.id for m in found] == [
        "Apache-2.0",
        "LicenseRef-scancode-llama-3.1-license-2024",
        "CC-BY-NC-4.0",
        "CC-BY-4.0",
    ]
    assert all(m.match is MatchKind.NOTICE for m in found)
    by_id: dict[str, Licence] = {m.licence.id: m.licence for m in found}
    assert by_id["LicenseRef-scancode-llama-3.1-license-2024"].osi_approved is False
    assert by_id["CC-BY-NC-4.0"].terms.commercial_use.value is False


def test_a_licence_file_listing_links_applies_all_of_them(tmp_path: Path) -> None:
    # Nothing in the list offers a choice: every licence applies, so the file is not open.
    (tmp_path / "LICENSE.md").write_text(_PARTS, encoding="utf-8")
    (lf,) = read_licence_files([ReleaseFile("LICENSE.md", 200, str(tmp_path / "LICENSE.md"))])
    assert lf.expression is not None
    assert str(lf.expression) == (
        "Apache-2.0 AND LicenseRef-scancode-llama-3.1-license-2024 AND CC-BY-NC-4.0 AND CC-BY-4.0"
    )
    assert not all(lic.osi_approved for lic in lf.licences)


def test_a_lookup_table_of_licence_urls_in_code_is_no_notice() -> None:
    code = "\n".join(
        f'    "{key}": "{url}",'
        for key, url in (
            ("apache", "http://www.apache.org/licenses/LICENSE-2.0"),
            ("mit", "https://opensource.org/licenses/MIT"),
            ("cc-by", "https://creativecommons.org/licenses/by/4.0/"),
        )
    )
    assert identify(f"LICENSE_URLS = {{\n{code}\n}}\n").licences == ()


@pytest.mark.parametrize(
    "name", ["MIT(no derivatives)", "Apache-2.0(not for resale)", "MIT (non-commercial use only)"]
)
def test_a_name_with_a_restricting_aside_is_not_the_open_licence(name: str) -> None:
    # With or without a space before the bracket: the aside changes the licence.
    assert identify_name(name) is None


def test_a_name_with_a_pointer_aside_is_the_licence() -> None:
    found = identify_name("MIT(see LICENSE)")
    assert found is not None and found.licence.id == "MIT"
