"""A parsed card is cached per distinct text; no caller's edit reaches another caller."""

from __future__ import annotations

from clearweights.release.card import parse_card

# The front matter as the zephyr-7b-beta card writes its model-index (trimmed to one result),
# with the licence as a list, as dual-licensed cards give it.
_CARD = """---
language:
- en
license:
- mit
- apache-2.0
base_model: mistralai/Mistral-7B-v0.1
pipeline_tag: text-generation
model-index:
- name: zephyr-7b-beta
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      name: AI2 Reasoning Challenge (25-Shot)
      type: ai2_arc
      config: ARC-Challenge
      split: test
    metrics:
       - type: acc_norm
         name: normalized accuracy
         value: 62.03071672354948
---

# Model Card for Zephyr 7B

Zephyr is a series of language models trained to act as helpful assistants.
"""


def test_changing_one_parsed_card_leaves_the_next_intact() -> None:
    first = parse_card(_CARD)
    assert first.license == ["mit", "apache-2.0"]
    assert isinstance(first.license, list)
    first.license.append("llama3")
    first.model_index[0]["name"] = "changed"
    first.model_index[0]["results"].clear()
    second = parse_card(_CARD)
    assert second.license == ["mit", "apache-2.0"]
    assert second.model_index[0]["name"] == "zephyr-7b-beta"
    assert second.model_index[0]["results"][0]["metrics"][0]["value"] == 62.03071672354948
    assert second == parse_card(_CARD)
