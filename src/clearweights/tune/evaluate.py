"""Evaluate a fine-tune against its base on what the contribution taught.

Per leaf: the taxonomy's seed Q&A and the held-out split of the generated data, answered by
both models (greedy decoding) and scored by a judge over an OpenAI-compatible endpoint with a
recorded rubric; and multiple-choice items (the leaf's other answers as distractors) scored
exactly by the models' own likelihoods. Decisions come from paired bootstrap intervals.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearweights._async import run_sync
from clearweights.errors import ClearweightsError, InputError
from clearweights.progress import Progress, Silent
from clearweights.tune.data import load_samples, split
from clearweights.tune.stats import REGRESSED, Interval, paired_bootstrap

SCHEMA_VERSION = 1
RUBRIC = (
    "You grade an answer against a reference answer. Score 1 to 5: 5 = the same facts as the "
    "reference, 4 = mostly right, 3 = partly right, 2 = mostly wrong, 1 = wrong or empty. "
    "Reply with 'Score: N' and nothing else."
)
_SCORE = re.compile(r"score\s*[:=]?\s*([1-5])\b|^\s*([1-5])\s*$", re.IGNORECASE | re.MULTILINE)


class EvaluationError(ClearweightsError):
    """The evaluation could not score anything (the judge failed on every item)."""


@dataclass(frozen=True)
class Item:
    """One question of a leaf, with its reference answer and multiple-choice options."""

    leaf: str
    question: str
    reference: str
    source: str  # seed or held-out
    options: tuple[str, ...] = ()  # the reference first; empty when the leaf has one answer


@dataclass(frozen=True)
class EvalConfig:
    """What to compare and how to judge."""

    base: str
    candidate: Path  # the candidate's adapter
    data: Path | None = None
    taxonomy: Path | None = None
    holdout: float = 0.1
    baseline: Path | None = None  # an adapter applied to the base (compare two fine-tunes)
    judge_url: str | None = None
    judge_model: str | None = None
    judge_key: str | None = None
    temperature: float = 0.0
    seed: int = 0
    max_new_tokens: int = 48
    resamples: int = 2000
    general: bool = True


@dataclass(frozen=True)
class LeafResult:
    """One leaf under one metric (``judge`` 0-1, or ``choice`` exact accuracy)."""

    leaf: str
    metric: str
    interval: Interval


@dataclass(frozen=True)
class EvalReport:
    """The comparison, with everything needed to reproduce it."""

    base: str
    candidate: str
    baseline: str | None
    leaves: tuple[LeafResult, ...]
    general: Interval | None
    judge: dict[str, Any] = field(default_factory=dict)
    unscored: tuple[str, ...] = ()
    items: int = 0

    @property
    def regressions(self) -> tuple[LeafResult, ...]:
        return tuple(r for r in self.leaves if r.interval.decision == REGRESSED)

    @property
    def passed(self) -> bool:
        general = self.general is None or self.general.decision != REGRESSED
        return not self.regressions and general


def _options(items: list[tuple[str, str, str]], seed: int) -> list[Item]:
    """Items of one leaf; each gets up to three of the leaf's other answers as distractors."""
    answers = list(dict.fromkeys(a for _, _, a in items))
    out = []
    for leaf_source, question, answer in items:
        leaf, source = leaf_source.split("\x1f")
        others = [a for a in answers if a != answer]
        rng = random.Random(f"{seed}:{question}")
        picked = tuple(rng.sample(others, min(3, len(others)))) if others else ()
        out.append(Item(leaf, question, answer, source, (answer, *picked) if picked else ()))
    return out


def collect_items(config: EvalConfig) -> list[Item]:
    """Seeds of every taxonomy leaf and the held-out samples, grouped into leaves."""
    grouped: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    if config.taxonomy is not None:
        from clearweights.taxonomy import load_taxonomy

        for leaf in load_taxonomy(config.taxonomy):
            for seed in leaf.seed_examples:
                for qa in seed.questions_and_answers:
                    grouped[leaf.name].append((f"{leaf.name}\x1fseed", qa.question, qa.answer))
    if config.data is not None:
        _, held = split(load_samples(config.data), config.holdout)
        for s in held:
            grouped[s.leaf or "(no leaf)"].append(
                (f"{s.leaf or '(no leaf)'}\x1fheld-out", s.question, s.answer)
            )
    items = [item for leaf in sorted(grouped) for item in _options(grouped[leaf], config.seed)]
    if not items:
        raise InputError("nothing to evaluate: give --taxonomy or --data with held-out samples")
    return items


def general_items() -> list[Item]:
    """The fixed general-capability set shipped with clearweights (multiple choice)."""
    from importlib.resources import files

    from clearweights._untrusted import load_json

    raw = load_json(files("clearweights").joinpath("data/tune/general.json").read_bytes())
    return [
        Item("general", q["question"], q["options"][0], "general", tuple(q["options"]))
        for q in raw["items"]
    ]


class _Model:
    """One model under evaluation: greedy answers and exact multiple-choice likelihoods."""

    def __init__(self, base: str, adapter: Path | None):
        from clearweights.tune.train import load_base

        self.model, self.tokenizer = load_base(base, adapter=adapter)
        self.model.eval()

    def _prompt(self, question: str) -> list[int]:
        text = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False
        )
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def answer(self, question: str, max_new_tokens: int) -> str:
        import torch

        prompt = self._prompt(question)
        with torch.no_grad():
            out = self.model.generate(
                torch.tensor([prompt]), max_new_tokens=max_new_tokens, do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
            )  # fmt: skip
        text: str = self.tokenizer.decode(out[0][len(prompt) :], skip_special_tokens=True)
        return text.strip()

    def choose(self, question: str, options: tuple[str, ...]) -> int:
        """The option with the highest mean log-likelihood after the prompt."""
        import torch

        prompt = self._prompt(question)
        scores = []
        for option in options:
            tokens = self.tokenizer(option, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([prompt + list(tokens)])
            with torch.no_grad():
                logits = self.model(input_ids=ids).logits[0, :-1]
            logp = torch.log_softmax(logits.float(), dim=-1)
            positions = range(len(prompt) - 1, ids.shape[1] - 1)
            total = sum(float(logp[p, ids[0, p + 1]]) for p in positions)
            scores.append(total / max(1, len(tokens)))
        return max(range(len(options)), key=lambda i: scores[i])


def parse_score(text: str) -> float | None:
    """A judge's 1-5 score as 0-1; ``None`` when the reply holds none."""
    match = _SCORE.search(text)
    if match is None:
        return None
    return (int(match.group(1) or match.group(2)) - 1) / 4


async def _judge_all(
    config: EvalConfig, jobs: list[tuple[str, Item, str]]
) -> dict[tuple[str, int], float | None]:
    from clearweights.generate.model import Sampling
    from clearweights.generate.teacher import TeacherClient

    sampling = Sampling(temperature=config.temperature, max_tokens=16)
    scores: dict[tuple[str, int], float | None] = {}
    assert config.judge_url and config.judge_model
    async with TeacherClient(config.judge_url, config.judge_model, api_key=config.judge_key) as c:
        await c.probe()

        async def one(index: int, who: str, item: Item, answer: str) -> None:
            prompt = (
                f"Question: {item.question}\nReference answer: {item.reference}\n"
                f"Candidate answer: {answer}\n"
            )
            messages = [{"role": "system", "content": RUBRIC}, {"role": "user", "content": prompt}]
            request = f"{item.leaf} item {index} ({who})"
            done = await c.chat(messages, sampling, seed=config.seed, request=request)
            scores[(who, index)] = parse_score(done.text)

        await asyncio.gather(*(one(i // 2, w, it, a) for i, (w, it, a) in enumerate(jobs)))
    return scores


def _interval(config: EvalConfig, base: list[float], cand: list[float]) -> Interval:
    return paired_bootstrap(base, cand, resamples=config.resamples, seed=config.seed)


def _per_leaf(
    config: EvalConfig,
    items: list[Item],
    base: list[float | None],
    cand: list[float | None],
    metric: str,
) -> list[LeafResult]:
    by_leaf: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for item, b, c in zip(items, base, cand, strict=True):
        if b is not None and c is not None:
            by_leaf[item.leaf][0].append(b)
            by_leaf[item.leaf][1].append(c)
    return [LeafResult(leaf, metric, _interval(config, *by_leaf[leaf])) for leaf in sorted(by_leaf)]


def _choices(
    models: tuple[_Model, _Model], items: list[Item]
) -> tuple[list[float | None], list[float | None]]:
    out: tuple[list[float | None], list[float | None]] = ([], [])
    for item in items:
        for scores, model in zip(out, models, strict=True):
            scores.append(float(model.choose(item.question, item.options) == 0)
                          if item.options else None)  # fmt: skip
    return out


def evaluate(config: EvalConfig, *, progress: Progress | None = None) -> EvalReport:
    """Compare the candidate with its base (or a baseline adapter) leaf by leaf.

    Raises:
        InputError: unreadable models, data or taxonomy.
        TeacherError: the judge cannot be reached or does not speak the protocol.
        EvaluationError: the judge scored no item.
    """
    progress = progress or Silent()
    items = collect_items(config)
    models = (_Model(config.base, config.baseline), _Model(config.base, config.candidate))
    progress.start(len(items), "evaluating")
    jobs: list[tuple[str, Item, str]] = []
    for item in items:
        for who, model in zip(("base", "candidate"), models, strict=True):
            jobs.append((who, item, model.answer(item.question, config.max_new_tokens)))
        progress.advance(item.leaf)
    progress.finish()
    results = _per_leaf(config, items, *_choices(models, items), "choice")
    judge: dict[str, Any] = {}
    unscored: list[str] = []
    if config.judge_url and config.judge_model:
        scores = run_sync(_judge_all(config, jobs))
        base = [scores.get(("base", i)) for i in range(len(items))]
        cand = [scores.get(("candidate", i)) for i in range(len(items))]
        unscored = [f"{it.leaf}: {it.question}" for it, b, c in zip(items, base, cand, strict=True)
                    if b is None or c is None]  # fmt: skip
        if len(unscored) == len(items):
            raise EvaluationError("the judge gave no score the rubric asks for, on any item",
                                  path=config.judge_url)  # fmt: skip
        results += _per_leaf(config, items, base, cand, "judge")
        judge = {"url": config.judge_url, "model": config.judge_model, "rubric": RUBRIC,
                 "rubric_sha256": hashlib.sha256(RUBRIC.encode()).hexdigest(),
                 "temperature": config.temperature, "seed": config.seed}  # fmt: skip
    general = None
    if config.general:
        g_items = general_items()
        g_base, g_cand = _choices(models, g_items)
        general = _interval(
            config, [float(x or 0) for x in g_base], [float(x or 0) for x in g_cand]
        )
    return EvalReport(
        config.base, str(config.candidate), str(config.baseline) if config.baseline else None,
        tuple(sorted(results, key=lambda r: (r.leaf, r.metric))), general, judge,
        tuple(unscored), len(items),
    )  # fmt: skip
