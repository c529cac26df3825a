"""The caches a bulk scan fills stay within their bounds, and what they give back equals what
a fresh evaluation gives (a record made again after it was let go is the same licence)."""

from __future__ import annotations

from clearweights import lineage
from clearweights.licenses.model import UNKNOWN_PREFIX
from clearweights.lineage import families, family_of
from clearweights.lineage.families import Family


def test_unknown_base_records_are_bounded_and_the_same_licence_when_made_again() -> None:
    made = lineage._unknown_base
    made.cache_clear()
    first = made("someone/a-base-no-table-knows")
    bound = made.cache_info().maxsize
    assert bound is not None
    for n in range(bound + 50):
        made(f"someone/base-{n}")
        assert made.cache_info().currsize <= bound
    again = made("someone/a-base-no-table-knows")  # let go meanwhile: made afresh
    assert again is not first
    expected = "LicenseRef-clearweights-unknown-base-model-someone-a-base-no-table-knows"
    assert str(again) == str(first) == expected
    assert again.licences == first.licences
    assert all(lic.id.startswith(UNKNOWN_PREFIX) for lic in again.licences)  # never open
    assert made("someone/a-base-no-table-knows") is again  # remembered again


def _fresh_family(repo_id: str) -> Family | None:
    from fnmatch import fnmatchcase

    key = repo_id.lower()
    return next(
        (f for f in families() if any(fnmatchcase(key, p.lower()) for p in f.patterns)), None
    )


def test_base_model_families_are_bounded_and_equal_a_fresh_match() -> None:
    family_of.cache_clear()
    bound = family_of.cache_info().maxsize
    assert bound is not None
    names = ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "someone/x"]
    names += [f"someone/model-{n}" for n in range(bound + 20)]
    for name in names + names[:3]:
        assert family_of(name) == _fresh_family(name)
        assert family_of.cache_info().currsize <= bound
    assert family_of("meta-llama/Llama-3.1-8B-Instruct") is not None
