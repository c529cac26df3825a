"""``clearweights check PATH... --policy FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from clearweights.cli._options import (
    base_option,
    declaration_options,
    emit,
    format_option,
    given,
    revision_option,
)
from clearweights.errors import ExitCode
from clearweights.formats import CHECK_FORMATS

if TYPE_CHECKING:
    from clearweights.policy import CheckReport, Policy


def _check_formats(func: click.decorators.FC) -> click.decorators.FC:
    return format_option(func, CHECK_FORMATS)


@click.command(name="check")
@click.argument("paths", nargs=-1)
@click.option(
    "--policy",
    "policy_path",
    required=True,
    help="A policy file, or a built-in policy: pragmatic, strict-osaid, commercial-product.",
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Judge the latest stored audit of each release (see scan) instead of PATHs.",
)
@click.option(
    "--release",
    "releases",
    multiple=True,
    metavar="KEY",
    help="With --store: only this release (path, repo id, name or glob); repeatable.",
)
@_check_formats
@revision_option
@declaration_options
@base_option
def check_command(
    paths: tuple[str, ...],
    policy_path: str,
    store_url: str | None,
    releases: tuple[str, ...],
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
      clearweights check --store audits.db --policy pragmatic --release 'meta-llama/*'
    """  # fmt: skip
    from clearweights.frameworks import Declarations
    from clearweights.policy import check, load_policy

    store_url = _store_given(paths, store_url)
    audit_only = given(
        click.get_current_context(), "systemic_risk", "monetised", "bases", "revision"
    )
    if store_url is None and (releases or not paths):
        raise click.UsageError("give release PATHs, or --store URL (--release needs --store)")
    if store_url is not None and (paths or audit_only):
        raise click.UsageError("--store judges stored audits: no PATHs, declarations or --base")
    policy, base = load_policy(policy_path)
    if store_url is not None:
        report = _stored(store_url, releases, policy, base)
    else:
        declarations = Declarations(systemic_risk=systemic_risk, monetised=monetised)
        report = check(
            list(paths),
            policy,
            base=base,
            declarations=declarations,
            bases=bases,
            revision=revision,
        )
    emit(report, output_format)
    for entry in report.checks:
        if entry.error:
            click.echo(f"clearweights: {entry.path}: {entry.error}", err=True)
    if not report.passed and any(not c.passed and c.error is None for c in report.checks):
        click.echo(f"clearweights: policy {policy.name} is violated", err=True)
        return ExitCode.FAILED
    return ExitCode.OK if report.complete else ExitCode.INCOMPLETE


def _store_given(paths: tuple[str, ...], store_url: str | None) -> str | None:
    """The store to judge: a project's configured store yields to PATHs on the command line."""
    if paths and store_url is not None and not given(click.get_current_context(), "store_url"):
        return None
    return store_url


def _stored(store_url: str, releases: tuple[str, ...], policy: Policy, base: Path) -> CheckReport:
    """The policy applied to stored audits: no release is read or audited again."""
    from clearweights.cli.scan import open_store_or_explain
    from clearweights.policy import check_audits

    store = open_store_or_explain(store_url, create=False)  # names the extra when missing
    try:
        from clearweights.store.queries import stored_audits

        return check_audits(stored_audits(store, releases), policy, base=base)
    finally:
        store.close()
