"""The card parser's and licence expressions' shortcuts give what the full paths give."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from huggingface_hub.repocard_data import ModelCardData

from clearweights._untrusted import UntrustedInputError, check_yaml
from clearweights.licenses import get
from clearweights.licenses._expression import LicenceExpression, leaf, unknown_licence
from clearweights.release.card import CardError, _card_dict, parse_card

EVAL_CARD = """\
license: apache-2.0
model-index:
- name: tiny-llama-support
  results:
  - task:
      type: text-generation
    dataset:
      name: HellaSwag
      type: hellaswag
    metrics:
    - type: acc_norm
      value: 61.2
"""


def test_front_matter_data_is_the_hub_librarys() -> None:
    card = ModelCardData(**yaml.safe_load(EVAL_CARD), ignore_metadata_errors=True)
    hub = card.to_dict()  # type: ignore[no-untyped-call]  # NOTE: the Hub's CardData is untyped
    ours = _card_dict(ModelCardData(**yaml.safe_load(EVAL_CARD), ignore_metadata_errors=True))
    assert ours == hub
    assert list(ours) == list(hub)
    assert ours["model-index"][0]["results"][0]["metrics"][0]["value"] == 61.2


def test_nested_front_matter_without_anchors_is_still_refused() -> None:
    block = "license: mit\nnested: " + "[" * 150 + "]" * 150
    with pytest.raises(CardError, match="nested more than 100 levels"):
        parse_card(f"---\n{block}\n---\n# Model\n")


def test_alias_bomb_is_still_refused() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]" for a, b in
              zip("abcdefgh", "bcdefghi", strict=True)]  # fmt: skip
    with pytest.raises(CardError, match="alias bomb"):
        parse_card("---\n" + "\n".join(lines) + "\n---\n# Model\n")


def test_broken_front_matter_is_worded_by_the_check() -> None:
    block = "license: mit\ntags: [chat, llama"
    with pytest.raises(yaml.YAMLError) as checked:
        check_yaml(block)
    with pytest.raises(CardError) as parsed:
        parse_card(f"---\n{block}\n---\n# Model\n")
    assert str(parsed.value) == f"front matter is not valid YAML: {checked.value}"
    assert not isinstance(checked.value, UntrustedInputError)


def test_choices_merge_equal_records_and_keep_different_ones_apart() -> None:
    mit, apache = get("MIT"), get("Apache-2.0")
    first, again = unknown_licence("acme-weights"), unknown_licence("acme-weights")
    assert first is not again and first == again
    either = LicenceExpression(operator="OR", args=(leaf(mit), leaf(apache)))
    both = LicenceExpression(operator="AND", args=(leaf(first), either, leaf(again)))
    assert both.choices() == ((first, mit), (first, apache))
    assert all(c[0] is first for c in both.choices())
    renamed = dataclasses.replace(mit, name="MIT (as the maker words it)")
    pair = LicenceExpression(operator="AND", args=(leaf(mit), leaf(renamed)))
    assert pair.choices() == ((mit, renamed),)


def test_headings_are_found_at_line_starts_only() -> None:
    card = parse_card(
        "# Tiny Llama Support Chat\n\nA fine-tune. Tagged #llama in the text, see issue # 12.\n"
        "\n## Intended uses ##\n\nChat support.\n\n####### Seven marks: not a heading\n"
        "### Limitations\n\nIt can be wrong.\n"
    )
    assert card.sections == (
        "tiny llama support chat",
        "intended uses",
        "limitations",
    )
    assert card.uses == "Chat support. ####### Seven marks: not a heading"
    assert card.limitations == "It can be wrong."
