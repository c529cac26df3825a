"""``clearweights audit PATH...``."""

from __future__ import annotations

import click

from clearweights.cli._options import (
    base_option,
    declaration_options,
    emit,
    format_option,
    revision_option,
)
from clearweights.cli._output import progress_bar
from clearweights.errors import ExitCode
from clearweights.formats import REPORT_FORMATS, OutputFormat
from clearweights.frameworks.names import MOF_MODES, PROFILES


def _audit_formats(func: click.decorators.FC) -> click.decorators.FC:
    return format_option(func, (*REPORT_FORMATS, OutputFormat.MOF_YAML))


@click.command(name="audit")
@click.argument("paths", nargs=-1, required=True)
@_audit_formats
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    type=click.Choice(PROFILES),
    help="Frameworks to rate against (repeatable; default: all).",
)
@click.option(
    "--mof-mode",
    type=click.Choice(MOF_MODES),
    default="strict",
    show_default=True,
    help="strict: normalised licences, MOT quirks fixed; mot: the Model Openness Tool exactly.",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(PROFILES),
    help="Exit 1 when this profile does not pass (repeatable).",
)
@click.option(
    "--download",
    is_flag=True,
    help="Fetch Hub repo ids from the Hub first (otherwise offline, cache only).",
)
@revision_option
@declaration_options
@base_option
def audit_command(
    paths: tuple[str, ...],
    output_format: str,
    profiles: tuple[str, ...],
    mof_mode: str,
    fail_on: tuple[str, ...],
    download: bool,
    revision: str | None,
    systemic_risk: bool | None,
    monetised: bool | None,
    bases: dict[str, str],
) -> int:
    """Audit model releases: licences, openness under four frameworks, open-washing, duties.

    PATH is a directory laid out like a Hugging Face model repository, a Hub repo id
    (org/name) in the local Hugging Face cache, or a Model Openness Tool YAML file.

    \b
    Examples:
      clearweights audit ./my-model
      clearweights audit meta-llama/Llama-3.1-8B --format json
      clearweights audit ./my-model --fail-on redhat --profile redhat
      clearweights audit ./my-model --format mof-yaml -o my-model.yml
      clearweights audit ./models/* --format json -o audit.json --output-format markdown=audit.md
      clearweights audit org/name --revision v1.0
      clearweights audit ./my-adapter --base ./Llama-3.1-8B
    """
    # The audit machinery loads only when this command runs, to keep other commands fast.
    from clearweights.audit import Declarations, audit
    from clearweights.frameworks import Status

    selected = tuple(profiles) or PROFILES
    missing = [p for p in fail_on if p not in selected]
    if missing:
        raise click.UsageError(
            f"--fail-on {missing[0]} needs that profile to run (add --profile {missing[0]})"
        )
    report = audit(
        list(paths),
        profiles=selected,
        mof_mode=mof_mode,
        declarations=Declarations(systemic_risk=systemic_risk, monetised=monetised),
        download=download,
        progress=progress_bar(len(paths)),
        bases=bases,
        revision=revision,
    )
    emit(report, output_format)
    for entry in report.audits:
        if entry.error:
            click.echo(f"clearweights: {entry.path}: {entry.error}", err=True)
    if not report.complete:
        return ExitCode.INCOMPLETE
    failed = [
        f"{entry.path}: {name}"
        for entry in report.audits
        for name in fail_on
        if (result := entry.profile(name)) is not None and result.verdict is not Status.PASS
    ]
    for line in failed:
        click.echo(f"clearweights: {line} does not pass", err=True)
    return ExitCode.FAILED if failed else ExitCode.OK
