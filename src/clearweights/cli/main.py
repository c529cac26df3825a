"""Entry point: the click group, and the one place errors are turned into exit codes."""

from __future__ import annotations

import os
import sys
import traceback

import click

from clearweights import __version__
from clearweights.cli._conventions import apply_conventions
from clearweights.cli.audit import audit_command
from clearweights.cli.bom import bom_group
from clearweights.cli.check import check_command
from clearweights.cli.evaluate import evaluate_command
from clearweights.cli.generate import generate_command
from clearweights.cli.license import license_group
from clearweights.cli.release import release_command
from clearweights.cli.report import badge_command, report_command
from clearweights.cli.scan import scan_command
from clearweights.cli.serve import serve_group
from clearweights.cli.sign import sign_command, verify_command
from clearweights.cli.stats import stats_command
from clearweights.cli.taxonomy import taxonomy_group
from clearweights.cli.train import train_command
from clearweights.errors import ClearweightsError, ExitCode

EPILOG = """\b
Exit codes:
  0  success
  1  a verdict or policy failed
  2  usage error (a bad option, policy file or config file)
  3  could not complete (unreadable input, internal error)

\b
Defaults come from [tool.clearweights] in pyproject.toml or a clearweights.toml, found
walking up from the working directory (--config FILE, --no-config). The command line wins,
then CLEARWEIGHTS_<COMMAND>_<OPTION> environment variables (CLEARWEIGHTS_CHECK_POLICY),
then the config file. See docs/cli.md."""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clearweights")
@click.option(
    "--debug", is_flag=True, envvar="CLEARWEIGHTS_DEBUG", help="Show tracebacks for errors."
)
def cli(debug: bool) -> None:
    """clearweights: clear licences for open weights."""


cli.add_command(audit_command)
cli.add_command(bom_group)
cli.add_command(check_command)
cli.add_command(license_group)
cli.add_command(report_command)
cli.add_command(badge_command)
cli.add_command(sign_command)
cli.add_command(verify_command)
cli.add_command(scan_command)
cli.add_command(stats_command)
cli.add_command(taxonomy_group)
cli.add_command(generate_command)
cli.add_command(train_command)
cli.add_command(evaluate_command)
cli.add_command(release_command)
cli.add_command(serve_group)
apply_conventions(cli)  # last: every command registered above gets the shared options


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (callable from tests)."""
    apply_conventions(cli)  # again, for commands registered after this module's own call
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("CLEARWEIGHTS_DEBUG", "") not in ("", "0")
    if "--debug" in args:  # accepted anywhere on the line, not only before the command
        args = ["--debug", *(a for a in args if a != "--debug")]
    try:
        result = cli.main(args=args, prog_name="clearweights", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("clearweights: aborted", err=True)
        return int(ExitCode.INCOMPLETE)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except ClearweightsError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"clearweights: {exc.diagnostics()}", err=True)
        return int(exc.exit_code)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception:  # a bug: say so plainly, with the traceback only on request
        if debug:
            traceback.print_exc()
        click.echo(
            "clearweights: internal error; "
            "rerun with --debug (or CLEARWEIGHTS_DEBUG=1) and report it",
            err=True,
        )
        return int(ExitCode.INCOMPLETE)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
