"""Options shared by reporting commands, and writing their output.

Every command with ``--format`` also gets ``-o/--output FILE`` (that format to a file instead of
stdout) and ``--output-format FORMAT=FILE`` (repeatable: more formats, each to its file, from the
same audit). They are kept in the click context, so :func:`emit` finds them and commands keep
their signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from clearweights.cli._output import write_files, write_output
from clearweights.config import NO_CONFIG, ProjectConfig
from clearweights.errors import ConfigError
from clearweights.formats import REPORT_FORMATS, OutputFormat

if TYPE_CHECKING:
    from clearweights.formats.interface import Report

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_KEY = "clearweights.config"
_OUTPUT = "clearweights.output-file"
_EXTRA = "clearweights.output-formats"

_FORMAT_HELP = {
    OutputFormat.TEXT: "text for people",
    OutputFormat.JSON: "json for machines",
    OutputFormat.MARKDOWN: "markdown for pull-request comments",
    OutputFormat.MOF_YAML: "mof-yaml for the Model Openness Tool",
    OutputFormat.SARIF: "sarif for code scanning",
    OutputFormat.JUNIT: "junit for test reports",
}


def long_name(param: click.Parameter) -> str:
    """The long option's name without dashes (``fail-on``): its config key and env var stem."""
    longs = [o for o in param.opts if o.startswith("--")]
    return (longs[0] if longs else param.opts[0]).lstrip("-")


def config_error(ctx: click.Context, param: click.Parameter, reason: str) -> ConfigError | None:
    """A ConfigError naming file and key when *param*'s value came from the config file."""
    source = ctx.get_parameter_source(param.name) if param.name else None
    if source is not ParameterSource.DEFAULT_MAP:
        return None
    config: ProjectConfig = ctx.meta.get(CONFIG_KEY, NO_CONFIG)
    command = ctx.command_path.split()[1] if " " in ctx.command_path else ctx.command_path
    return ConfigError(f"{config.locate(long_name(param), command)}: {reason}", path=config.path)


def given(ctx: click.Context, *names: str) -> list[str]:
    """Which of these parameters the user gave (command line or environment), not the config
    file: project-wide defaults must not trip a check for options that do not combine."""
    defaults = (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP, None)
    return [n for n in names if ctx.get_parameter_source(n) not in defaults]


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value

    return store


def _output_formats(formats: Sequence[OutputFormat]) -> Callable[..., Any]:
    names = [f.value for f in formats]

    def parse(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
        pairs: list[tuple[OutputFormat, Path]] = []
        for value in values:
            name, sep, file = value.partition("=")
            reason = None
            if not sep or not file:
                reason = f"{value!r}: expected FORMAT=FILE, such as sarif=results.sarif"
            elif name not in names:
                reason = f"{value!r}: {name!r} is not one of {', '.join(names)}"
            elif Path(file).is_dir():
                reason = f"{value!r}: {file} is a directory"
            if reason is not None:
                raise config_error(ctx, param, reason) or click.BadParameter(
                    reason, ctx=ctx, param=param
                )
            pairs.append((OutputFormat(name), Path(file)))
        ctx.meta[_EXTRA] = tuple(pairs)
        return tuple(pairs)

    return parse


def format_option(func: F, formats: tuple[OutputFormat, ...] = REPORT_FORMATS) -> F:
    """``--format`` with the formats a command offers, plus ``-o`` and ``--output-format``."""
    func = click.option(
        "--output-format",
        "output_formats",
        multiple=True,
        metavar="FORMAT=FILE",
        expose_value=False,
        callback=_output_formats(formats),
        help="Also write FORMAT to FILE, from the same run (repeatable), e.g. "
        "--output-format sarif=results.sarif.",
    )(func)
    func = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember(_OUTPUT),
        help="Write the --format output to this file instead of stdout.",
    )(func)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice([f.value for f in formats]),
        default=OutputFormat.TEXT.value,
        show_default=True,
        help="Output format: " + ", ".join(_FORMAT_HELP[f] for f in formats) + ".",
    )(func)


def check_output_files(ctx: click.Context) -> None:
    """Refuse two outputs to one file before any work is done."""
    files: list[Path] = [p for _, p in ctx.meta.get(_EXTRA, ())]
    if (main := ctx.meta.get(_OUTPUT)) is not None:
        files.insert(0, main)
    if ctx.params.get("output") is not None:
        files.insert(0, ctx.params["output"])
    seen: set[Path] = set()
    for path in files:
        key = path.absolute()
        if key in seen:
            raise click.UsageError(f"{path} is named as an output twice")
        seen.add(key)


def emit(report: Report, output_format: str) -> None:
    """Render the report in every asked-for format and write each where it goes.

    Everything is rendered before anything is written, and the files are written atomically.
    """
    ctx = click.get_current_context()
    text = OutputFormat(output_format).to_format().render(report)
    files = [(path, fmt.to_format().render(report)) for fmt, path in ctx.meta.get(_EXTRA, ())]
    target: Path | None = ctx.meta.get(_OUTPUT)
    if target is not None:
        files.insert(0, (target, text))
    if files:
        write_files(files)
    if target is None:
        click.echo(text, nl=False)


def declaration_options(func: F) -> F:
    """The EU AI Act declarations a release's files cannot show."""
    func = click.option(
        "--monetised/--not-monetised",
        default=None,
        help="Declare whether the model is made available against payment or otherwise monetised.",
    )(func)
    return click.option(
        "--systemic-risk/--no-systemic-risk",
        default=None,
        help="Declare whether the model is a general-purpose AI model with systemic risk.",
    )(func)


def _bases(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        repo, sep, path = value.rpartition("=")
        key = repo if sep else "*"
        if not Path(path).is_dir():
            reason = f"{path}: not a directory"
            raise config_error(ctx, param, reason) or click.BadParameter(
                reason, ctx=ctx, param=param
            )
        out[key] = path
    return out


def base_option(func: F) -> F:
    """``--base [REPO=]PATH``: a local copy of a base model, for lineage (repeatable)."""
    return click.option(
        "--base",
        "bases",
        multiple=True,
        callback=_bases,
        metavar="[REPO=]PATH",
        help="A local copy of the base model (its card and LICENSE) to read the inherited "
        "licence from; REPO= names which base when there are several (repeatable).",
    )(func)


def revision_option(func: F) -> F:
    """``--revision REV`` for commands that take Hub repo ids."""
    return click.option(
        "--revision",
        metavar="REV",
        help="The branch, tag or commit of Hub repo ids (default: main, else the newest "
        "cached snapshot); directories and files ignore it.",
    )(func)


def output_option(func: F) -> F:
    """``-o/--output FILE``: write the result there instead of stdout."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write here instead of stdout (atomically: never a partial file).",
    )(func)


__all__ = [
    "base_option",
    "check_output_files",
    "declaration_options",
    "emit",
    "format_option",
    "given",
    "output_option",
    "revision_option",
    "write_output",
]
