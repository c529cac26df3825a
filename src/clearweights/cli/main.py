"""Entry point: the click group, and the one place errors are turned into exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from importlib import import_module

import click

from clearweights import __version__
from clearweights.cli._conventions import apply_conventions
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


# Each command's module is imported when that command runs (or when help lists them all):
# a resumed scan need not load the fine-tuning or taxonomy code.
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("audit", "audit_command"),
    "bom": ("bom", "bom_group"),
    "check": ("check", "check_command"),
    "license": ("license", "license_group"),
    "report": ("report", "report_command"),
    "badge": ("report", "badge_command"),
    "sign": ("sign", "sign_command"),
    "verify": ("sign", "verify_command"),
    "scan": ("scan", "scan_command"),
    "stats": ("stats", "stats_command"),
    "taxonomy": ("taxonomy", "taxonomy_group"),
    "generate": ("generate", "generate_command"),
    "train": ("train", "train_command"),
    "evaluate": ("evaluate", "evaluate_command"),
    "release": ("release", "release_command"),
    "serve": ("serve", "serve_group"),
}


class _LazyGroup(click.Group):
    """The top-level group: commands registered by name, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(import_module(f"clearweights.cli.{module}"), attribute)
            self.add_command(command, cmd_name)
            apply_conventions(self)  # the shared options, for the command just loaded
        return self.commands.get(cmd_name)


@click.group(
    cls=_LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="clearweights")
@click.option(
    "--debug", is_flag=True, envvar="CLEARWEIGHTS_DEBUG", help="Show tracebacks for errors."
)
def cli(debug: bool) -> None:
    """clearweights: clear licences for open weights."""


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
