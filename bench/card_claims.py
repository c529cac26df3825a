"""Benchmark claim detection in model cards.

1. Every card of tests/corpus/cards, parsed whole (front matter and claims): median per card.
2. Hostile 2 MB card lines (the largest card read): one sentence of negated claims, link and
   HTML openers that never close, bare "open source" repeated. Each is timed at 1 MB and 2 MB:
   a ratio near 2 shows linear time (a quadratic detector would give 4). CPU time is measured.

Run: ``python bench/card_claims.py``.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from clearweights.release.card import parse_card
from clearweights.release.claims import find_statements

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "tests" / "corpus" / "cards"
MB = 1 << 20

HOSTILE: dict[str, Callable[[int], str]] = {
    "negated claims": lambda n: ("This model is not open source and " * (n // 34 + 1))[:n],
    "unclosed links and tags": lambda n: ("[open source <a " * (n // 16 + 1))[:n],
    "bare open source": lambda n: ("open source " * (n // 12 + 1))[:n],
}


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.process_time()  # CPU time: other load on the machine does not count
        work()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CARDS.rglob("*.md"))]
    per_card = [best_of(5, lambda t=t: parse_card(t)) for t in texts]  # type: ignore[misc]
    print(f"{len(texts)} corpus cards: median {statistics.median(per_card) * 1000:.2f} ms")
    for name, make in HOSTILE.items():
        small, large = make(MB), make(2 * MB)
        one = best_of(3, lambda: find_statements(small))  # noqa: B023 (called at once)
        two = best_of(3, lambda: find_statements(large))  # noqa: B023
        print(f"{name}: 1 MB {one:.2f} s, 2 MB {two:.2f} s, ratio {two / one:.2f}")


if __name__ == "__main__":
    main()
