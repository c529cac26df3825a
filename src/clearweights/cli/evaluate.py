"""``clearweights evaluate``: a fine-tune against its base, leaf by leaf, with intervals."""

from __future__ import annotations

import os
from pathlib import Path

import click

from clearweights.cli._options import write_output
from clearweights.cli._output import progress_bar
from clearweights.errors import ExitCode

KEY_ENV = "CLEARWEIGHTS_JUDGE_API_KEY"


@click.command(name="evaluate")
@click.option("--base", required=True, help="The base model: a local release or a cached repo id.")
@click.option(
    "--candidate",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The candidate's adapter folder (RUN/adapter).",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, file_okay=False),
    help="Compare against this adapter on the base instead of the bare base.",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The training samples; their held-out split is evaluated.",
)
@click.option(
    "--taxonomy",
    type=click.Path(path_type=Path, file_okay=False),
    help="A taxonomy whose seed Q&A are evaluated.",
)
@click.option("--holdout", default=0.1, show_default=True, type=float)
@click.option("--judge-url", help=f"OpenAI-compatible judge endpoint; key from ${KEY_ENV}.")
@click.option("--judge-model", help="The judge model's name.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-general", is_flag=True, help="Skip the general-capability check.")
def evaluate_command(
    base: str,
    candidate: Path,
    baseline: Path | None,
    data: Path | None,
    taxonomy: Path | None,
    holdout: float,
    judge_url: str | None,
    judge_model: str | None,
    seed: int,
    fmt: str,
    output: Path | None,
    no_general: bool,
) -> int:
    """Compare the candidate with its base; decide per leaf by paired bootstrap 95% intervals.

    Exit 0 with no significant regression, 1 with one, 2 for usage errors, 3 when an input or
    the judge cannot be used.

    \b
    Examples:
      clearweights evaluate --base ./base --candidate runs/one/adapter --data d.jsonl
      clearweights evaluate --base ./base --candidate runs/one/adapter --taxonomy taxonomy \\
          --judge-url http://127.0.0.1:8000/v1 --judge-model judge --format html -o eval.html
    """
    from clearweights.tune import EvalConfig, evaluate
    from clearweights.tune.eval_report import FORMATS

    if (judge_url is None) != (judge_model is None):
        raise click.UsageError("--judge-url and --judge-model go together")
    config = EvalConfig(
        base=base,
        candidate=candidate,
        baseline=baseline,
        data=data,
        taxonomy=taxonomy,
        holdout=holdout,
        judge_url=judge_url,
        judge_model=judge_model,
        judge_key=os.environ.get(KEY_ENV),
        seed=seed,
        general=not no_general,
    )
    report = evaluate(config, progress=progress_bar())
    write_output(output, FORMATS[fmt](report))
    return ExitCode.OK if report.passed else ExitCode.FAILED
