"""``clearweights bom PATH`` and ``clearweights bom validate FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from clearweights.cli._default_group import DefaultGroup
from clearweights.cli._options import (
    base_option,
    declaration_options,
    output_option,
    revision_option,
    write_output,
)
from clearweights.cli._output import progress_bar
from clearweights.errors import ExitCode, InputError


@click.group(name="bom", cls=DefaultGroup, default="build")
def bom_group() -> None:
    """AI bills of materials: CycloneDX ML-BOM and SPDX 3.0.1 AI.

    \b
    Examples:
      clearweights bom ./my-model --format cyclonedx -o ./my-model/aibom.cdx.json
      clearweights bom ./my-model --format spdx3 -o ./my-model/aibom.spdx3.json
      clearweights bom validate ./my-model/aibom.spdx3.json
    """


@bom_group.command()
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["cyclonedx", "spdx3"]),
    default="cyclonedx",
    show_default=True,
)
@click.option(
    "--spec-version",
    type=click.Choice(["1.6", "1.7"]),
    default=None,
    help="CycloneDX specification version (default 1.6; only for --format cyclonedx).",
)
@output_option
@revision_option
@declaration_options
@base_option
def build(
    path: str,
    fmt: str,
    spec_version: str | None,
    output: Path | None,
    revision: str | None,
    systemic_risk: bool | None,
    monetised: bool | None,
    bases: dict[str, str],
) -> int:
    """Build the BOM of the release at PATH (validated before it is written)."""
    from clearweights.bom import build_bom
    from clearweights.frameworks import Declarations

    if spec_version is not None and fmt != "cyclonedx":
        raise click.UsageError("--spec-version is for --format cyclonedx (SPDX output is 3.0.1)")
    text = build_bom(
        path,
        fmt,
        spec_version=spec_version or "1.6",
        progress=progress_bar(),
        declarations=Declarations(systemic_risk, monetised),
        bases=bases,
        revision=revision,
    )
    write_output(output, text)
    return ExitCode.OK


@bom_group.command()
@click.argument("file", type=click.Path(path_type=Path))
def validate(file: Path) -> int:
    """Validate a CycloneDX or SPDX 3 BOM offline; each problem names its JSON path.

    Exit 0 when valid, 1 when it has problems, 3 when the file cannot be read.
    """
    from clearweights._untrusted import MAX_DOCUMENT_BYTES, read_bounded
    from clearweights.bom import validate_document

    try:
        text = read_bounded(file, MAX_DOCUMENT_BYTES).decode("utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, too large, not a file
        raise InputError(f"cannot read: {exc}", path=file) from exc
    kind, problems = validate_document(text)
    for problem in problems:
        click.echo(f"{file}: {problem}")
    if problems:
        click.echo(f"clearweights: {file}: {len(problems)} problem(s)", err=True)
        return ExitCode.FAILED
    click.echo(f"{file}: valid {kind}")
    return ExitCode.OK
