"""``clearweights check PATH... --policy FILE``."""

from __future__ import annotations

import click

from clearweights.cli._options import (
    base_option,
    declaration_options,
    emit,
    format_option,
    revision_option,
)
from clearweights.errors import ExitCode
from clearweights.formats import CHECK_FORMATS


def _check_formats(func: click.decorators.FC) -> click.decorators.FC:
    return format_option(func, CHECK_FORMATS)


@click.command(name="check")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--policy",
    "policy_path",
    required=True,
    help="A policy file, or a built-in policy: pragmatic, strict-osaid, commercial-product.",
)
@_check_formats
@revision_option
@declaration_options
@base_option
def check_command(
    paths: tuple[str, ...],
    policy_path: str,
    output_format: str,
    revision: str | None,
    systemic_risk: bool | None,
    monetised: bool | None,
    bases: dict[str, str],
) -> int:
    """Audit releases and apply an organisation policy.

    Exit 0 when every release complies, 1 when any violates, 2 for usage errors (a bad policy
    file included), 3 when a release could not be audited.

    \b
    Examples:
      clearweights check ./my-model --policy pragmatic
      clearweights check ./models/* --policy policy.yml --output-format sarif=results.sarif
      clearweights check ./my-model --policy pragmatic --format markdown \\
          --output-format sarif=results.sarif --output-format junit=junit.xml
    """  # fmt: skip
    from clearweights.frameworks import Declarations
    from clearweights.policy import check, load_policy

    policy, base = load_policy(policy_path)
    declarations = Declarations(systemic_risk=systemic_risk, monetised=monetised)
    report = check(
        list(paths), policy, base=base, declarations=declarations, bases=bases, revision=revision
    )
    emit(report, output_format)
    for entry in report.checks:
        if entry.error:
            click.echo(f"clearweights: {entry.path}: {entry.error}", err=True)
    if not report.passed and any(not c.passed and c.error is None for c in report.checks):
        click.echo(f"clearweights: policy {policy.name} is violated", err=True)
        return ExitCode.FAILED
    return ExitCode.OK if report.complete else ExitCode.INCOMPLETE
