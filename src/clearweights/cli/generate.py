"""``clearweights generate TAXONOMY``: synthetic training data from taxonomy leaves."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from clearweights.cli.taxonomy import parse_mirrors, validation_options
from clearweights.errors import ExitCode

KINDS = ("knowledge", "freeform", "grounded")


@click.command(name="generate")
@click.argument("taxonomy", required=False, type=click.Path(path_type=Path))
@click.option(
    "--teacher-url",
    envvar="CLEARWEIGHTS_TEACHER_URL",
    help="API base of an OpenAI-compatible server (…/v1).",
)
@click.option(
    "--teacher-model", envvar="CLEARWEIGHTS_TEACHER_MODEL", help="Model name the server expects."
)
@click.option(
    "--api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    help="Environment variable holding the API key (if any).",
)
@click.option(
    "--teacher-release",
    metavar="PATH|REPO_ID",
    help="The teacher's release or card, audited for its licence before any request.",
)
@click.option(
    "--teacher-revision",
    default="unknown",
    help="The teacher's revision, recorded in every sample.",
)
@click.option(
    "--student-family",
    help="Family of the model to be trained (e.g. llama): some licences except their own family.",
)
@click.option(
    "--leaf",
    "leaf_prefixes",
    multiple=True,
    metavar="PREFIX",
    help="Only leaves whose name starts with PREFIX (repeatable).",
)
@click.option(
    "--base", "base_ref", help="Only leaves changed since this git ref (default: every leaf)."
)
@click.option(
    "--mirror",
    "mirrors",
    multiple=True,
    callback=parse_mirrors,
    metavar="URL=DIR",
    help="A local clone of a document repository (repeatable).",
)
@click.option(
    "--repo-cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Clone remote document repositories here (default: offline).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("generated"),
    show_default=True,
    help="Directory for the dataset, its card, BOM component and checkpoints.",
)
@click.option(
    "--pipeline",
    "pipeline_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A pipeline YAML file replacing the built-in one of its kind (repeatable).",
)
@click.option(
    "--show-pipeline", type=click.Choice(KINDS), help="Print a built-in pipeline as YAML and exit."
)
@click.option(
    "--scale",
    type=click.IntRange(1, 100),
    default=3,
    show_default=True,
    help="Samples asked per unit of work.",
)
@click.option(
    "--preview",
    type=click.IntRange(1),
    help="Only the first N units of each leaf, written under OUTPUT/preview.",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Seed of the run (each request's seed derives from it).",
)
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.7, show_default=True)
@click.option("--max-tokens", type=click.IntRange(1), default=1024, show_default=True)
@click.option("--system-prompt", help="System message of every training record (recorded).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Requests in flight at most.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=120.0,
    show_default=True,
    help="Seconds per request.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    help="Retries on 429, 5xx, timeouts.",
)
@click.option("--stream/--no-stream", default=False, help="Ask the teacher for streamed answers.")
@click.option(
    "--max-per-leaf", type=click.IntRange(1), help="At most N samples of each leaf in the mix."
)
def generate_command(taxonomy: Path | None, **opts: Any) -> int:  # fmt: skip
    """Generate synthetic training data from taxonomy leaves against a teacher.

    The teacher's licence is checked first (--teacher-release): a licence that forbids
    training other models on its outputs stops the run before any request.

    \b
    Examples:
      clearweights generate examples/taxonomy --teacher-url http://127.0.0.1:8000/v1 \\
          --teacher-model my-teacher --teacher-release ./teacher-model
      clearweights generate taxonomy/ --base origin/main --preview 2 ...
      clearweights generate --show-pipeline knowledge > knowledge.yaml
    """
    from clearweights.generate import builtin, to_yaml
    from clearweights.generate.model import LeafKind

    if opts["show_pipeline"]:
        pipeline = builtin(LeafKind(opts["show_pipeline"]), opts["scale"])
        click.echo(to_yaml(pipeline), nl=False)
        return ExitCode.OK
    if taxonomy is None or not opts["teacher_url"] or not opts["teacher_model"]:
        raise click.UsageError("TAXONOMY, --teacher-url and --teacher-model are required")
    return _run(taxonomy, opts)


def _run(taxonomy: Path, opts: dict[str, Any]) -> int:
    from clearweights.cli._generate_progress import LinePrinter
    from clearweights.cli._output import note
    from clearweights.generate import GenerateOptions, Sampling, Teacher, generate, load
    from clearweights.generate.from_taxonomy import gen_leaves
    from clearweights.generate.prompts import DEFAULT_SYSTEM_PROMPT
    from clearweights.taxonomy import changed_leaves, load_taxonomy
    from clearweights.taxonomy.validate import validate, validate_changed

    vopts = validation_options((), opts["mirrors"], False, opts["repo_cache"], None)
    mirrors, cache = vopts.mirrors, vopts.cache
    base: str | None = opts["base_ref"]
    pipelines = {p.kind: p for p in (load(f) for f in opts["pipeline_files"])}
    leaves = changed_leaves(taxonomy, base) if base else load_taxonomy(taxonomy)
    prefixes: tuple[str, ...] = opts["leaf_prefixes"]
    if prefixes:
        leaves = tuple(leaf for leaf in leaves if leaf.name.startswith(prefixes))
    report = validate_changed(taxonomy, base, vopts) if base else validate([taxonomy], vopts)
    inputs = gen_leaves(leaves, report.licenses, mirrors=mirrors, cache=cache)
    printer = LinePrinter()
    for warning in inputs.warnings:
        printer.warning(warning)
    if not inputs.leaves:
        note("clearweights: no leaf to generate from")
        return ExitCode.OK
    system_prompt = opts["system_prompt"]
    options = GenerateOptions(
        output=opts["output"],
        seed=opts["seed"],
        scale=opts["scale"],
        sampling=Sampling(opts["temperature"], 1.0, opts["max_tokens"]),
        system_prompt=DEFAULT_SYSTEM_PROMPT if system_prompt is None else system_prompt,
        preview=opts["preview"],
        concurrency=opts["concurrency"],
        timeout=opts["timeout"],
        retries=opts["retries"],
        stream=opts["stream"],
        max_per_leaf=opts["max_per_leaf"],
        pipelines=pipelines,
    )
    teacher = Teacher(
        opts["teacher_url"],
        opts["teacher_model"],
        revision=opts["teacher_revision"],
        student_family=opts["student_family"],
    )
    result = generate(
        inputs.leaves,
        teacher,
        options,
        teacher_release=opts["teacher_release"],
        api_key=os.environ.get(opts["api_key_env"]) or None,
        observer=printer,
    )
    if result.preview:
        for line in Path(result.dataset).read_text(encoding="utf-8").splitlines():
            click.echo(json.dumps(json.loads(line)["messages"], ensure_ascii=False))
    note(f"wrote {result.dataset} ({result.kept} samples), {result.card}, {result.bom}")
    return ExitCode.OK
