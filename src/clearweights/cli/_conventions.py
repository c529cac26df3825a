"""What every command shares, added once to the whole command tree.

- ``--config FILE`` / ``--no-config``: which project config file gives the defaults; its keys
  become click's ``default_map``, so the command line wins, then environment variables, then
  the config file, then the built-in defaults.
- ``-q/--quiet``, ``-v/--verbose``, ``--no-progress``.
- One environment variable per option and command, named after the long option:
  ``CLEARWEIGHTS_CHECK_POLICY``, ``CLEARWEIGHTS_BOM_BUILD_FORMAT``; setting one never changes
  another command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from clearweights.cli._options import CONFIG_KEY, check_output_files, long_name
from clearweights.cli._output import Verbosity, detail, set_verbosity
from clearweights.config import (
    NO_CONFIG,
    Options,
    ProjectConfig,
    did_you_mean,
    discover_config,
    load_config,
)
from clearweights.errors import ConfigError

ENV_PREFIX = "CLEARWEIGHTS"
# Tables of these commands hold options only: any other key in them is a mistake. Other
# tables (a feature's, such as [tool.clearweights.taxonomy]) may hold settings of their own.
OPTION_TABLES = frozenset(
    {"audit", "check", "report", "badge", "bom", "license", "scan", "stats", "sign", "verify"}
)
# Tables of these commands hold any of the command's long options as written (rank, epochs,
# report-to...), each checked by click's type, paths taken from the file's folder; the shared
# keys of [tool.clearweights] do not apply to them (their --base is a model, not a lineage map).
RAW_OPTION_TABLES = frozenset({"train", "evaluate", "release"})
# Keys a command takes from its own table only, because they change what it does: a shared
# `store` is for scan and stats, and must not turn `check PATH` into a check of stored audits.
OWN_TABLE_ONLY: dict[str, frozenset[str]] = {"check": frozenset({"store"})}
_CHOSEN = "clearweights.config-choice"
NO_OPTIONS = Options()


def _choose(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Record --config / --no-config; once both are known, load the config and apply it."""
    chosen = ctx.meta.setdefault(_CHOSEN, {})
    chosen[param.name] = value
    if len(chosen) < 2:
        return
    no_config, config_file = chosen["no_config"], chosen["config_file"]
    if no_config and config_file is not None:
        # The command line wins over the environment; both on one level is a contradiction.
        cli_no = ctx.get_parameter_source("no_config") is ParameterSource.COMMANDLINE
        cli_file = ctx.get_parameter_source("config_file") is ParameterSource.COMMANDLINE
        if cli_no == cli_file:
            raise click.UsageError("give --config FILE or --no-config, not both")
        no_config = cli_no
    if no_config:
        config = NO_CONFIG
    elif config_file is not None:
        config = load_config(config_file)
    else:
        config = discover_config()
    ctx.meta[CONFIG_KEY] = config
    ctx.default_map = _defaults(ctx, config)


def _leaves(command: click.Command) -> Iterator[click.Command]:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _leaves(sub)
    else:
        yield command


def _options_of(command: click.Command) -> dict[str, click.Option]:
    return {long_name(p): p for p in command.params if isinstance(p, click.Option)}


def _cli_value(value: Any) -> Any:
    """A config value in the form the command line gives it."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return tuple(path if key == "*" else f"{key}={path}" for key, path in value)
    return str(value) if isinstance(value, Path) else value


def _check_tables(ctx: click.Context, root: click.Group, config: ProjectConfig) -> None:
    """Every key of every command's option table must be an option of that command."""
    for name in sorted(OPTION_TABLES & set(config.sections)):
        command = root.get_command(ctx, name)  # loaded on demand: the CLI imports lazily
        if command is None:
            continue
        known = {k for leaf in _leaves(command) for k in _options_of(leaf)}
        for key in config.section(name):
            if key not in known:
                hint = did_you_mean(key, known)
                raise config.error(key, f"not an option of clearweights {name}{hint}", table=name)


def _raw_value(config: ProjectConfig, param: click.Option, raw: Any) -> Any:
    """A raw table's value as the command line gives it; a path (or a --base that names an
    existing folder) from the config file's folder."""
    if isinstance(raw, str) and config.path is not None:
        local = config.path.parent / Path(raw).expanduser()
        if isinstance(param.type, click.Path) or (param.name == "base" and local.exists()):
            return str(local.resolve())
    return list(raw) if isinstance(raw, tuple) else raw


def _raw_defaults(
    ctx: click.Context, config: ProjectConfig, top: str, mine: dict[str, click.Option]
) -> dict[str, Any]:
    """The options a RAW_OPTION_TABLES table sets; an unknown key or bad value names itself."""
    out: dict[str, Any] = {}
    for key, raw in config.section(top).items():
        param = mine.get(key)
        if param is None or param.name is None:
            raise config.error(key, f"not an option of clearweights {top}"
                               f"{did_you_mean(key, mine)}", table=top)  # fmt: skip
        value = _raw_value(config, param, raw)
        try:
            param.type_cast_value(ctx, value)
        except click.BadParameter as exc:
            raise config.error(key, exc.message, table=top) from None
        out[param.name] = value
    return out


def _defaults(ctx: click.Context, config: ProjectConfig) -> dict[str, Any]:
    """The config's values for this command, by parameter name, each checked by click's type."""
    if config.path is None:
        return {}
    top = ctx.command_path.split()[1]
    root = ctx.find_root().command
    if isinstance(root, click.Group):
        _check_tables(ctx.find_root(), root, config)
    mine = _options_of(ctx.command)
    if top in RAW_OPTION_TABLES:
        return _raw_defaults(ctx, config, top, mine)
    own = config.tables.get(top)
    out: dict[str, Any] = {}
    # A feature's command (taxonomy) may give an option name another meaning (its --base is
    # a git ref): shared keys are for the audit commands, a feature takes its own table's only.
    chosen = config.options(top) if top in OPTION_TABLES else (own or NO_OPTIONS)
    for key, raw in chosen.set_keys().items():
        param = mine.get(key)
        if param is None or param.name is None:
            continue  # a shared key this command does not take
        if key in OWN_TABLE_ONLY.get(top, ()) and (own is None or key not in own.set_keys()):
            continue
        value = _cli_value(raw)
        try:
            param.type_cast_value(ctx, value)
        except click.BadParameter as exc:
            where = config.locate(key, top)
            raise ConfigError(f"{where}: {exc.message}", path=config.path) from None
        out[param.name] = value
    return out


def _explain(ctx: click.Context, config: ProjectConfig) -> None:
    """With -v: where each option's value comes from, when the config file gave it."""
    if config.path is None:
        detail("config: none")
        return
    detail(f"config: {config.path}")
    top = ctx.command_path.split()[1]
    for param in ctx.command.params:
        if param.name and ctx.get_parameter_source(param.name) is ParameterSource.DEFAULT_MAP:
            table = ".".join(p for p in (config.table_prefix, top) if p)
            where = (
                f"[{table}] {long_name(param)}"
                if top in RAW_OPTION_TABLES
                else config.locate(long_name(param), top)
            )
            value = ctx.lookup_default(param.name)
            detail(f"  --{long_name(param)} = {value!r} from {config.path.name} {where}")


def _verbosity(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Record -q / -v / --no-progress (commands read them through clearweights.cli._output)."""
    values = ctx.meta.setdefault("clearweights.verbosity", {})
    values[param.name] = value
    set_verbosity(
        ctx,
        Verbosity(
            quiet=bool(values.get("quiet")),
            verbose=bool(values.get("verbose")),
            progress=not values.get("no_progress"),
        ),
    )


def _shared_params() -> list[click.Option]:
    hidden: dict[str, Any] = {"expose_value": False}
    return [
        click.Option(
            ["--config", "config_file"],
            type=click.Path(dir_okay=False, path_type=Path),
            envvar=f"{ENV_PREFIX}_CONFIG",
            is_eager=True,
            callback=_choose,
            help="Project config file (default: clearweights.toml or pyproject.toml's "
            "[tool.clearweights], found walking up from here).",
            **hidden,
        ),
        click.Option(
            ["--no-config"],
            is_flag=True,
            envvar=f"{ENV_PREFIX}_NO_CONFIG",
            is_eager=True,
            callback=_choose,
            help="Ignore any project config file.",
            **hidden,
        ),
        click.Option(["-q", "--quiet"], is_flag=True, callback=_verbosity, help="Say nothing on "
                     "stderr but errors and verdicts (data still goes to stdout or files).",
                     **hidden),
        click.Option(["-v", "--verbose"], is_flag=True, callback=_verbosity,
                     help="Say more on stderr: the config file, and each option it set.", **hidden),
        click.Option(["--no-progress"], is_flag=True, callback=_verbosity,
                     help="No progress bar.", **hidden),
    ]  # fmt: skip


def _checked(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        _explain(ctx, ctx.meta.get(CONFIG_KEY, NO_CONFIG))
        check_output_files(ctx)
        return callback(*args, **kwargs)

    return run


def _env_names(command: click.Command, words: list[str]) -> None:
    """Give each option its own variable first; keep a shared one (CLEARWEIGHTS_STORE) after."""
    stem = "_".join([ENV_PREFIX, *words]).upper().replace("-", "_")
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in ("config_file", "no_config"):
            continue
        own = f"{stem}_{long_name(param).upper().replace('-', '_')}"
        shared = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        param.envvar = [own, *(name for name in shared if name != own)]


def apply_conventions(group: click.Group, words: list[str] | None = None) -> None:
    """Add the shared options and environment variables to every command under *group*."""
    for name, command in group.commands.items():
        path = [*(words or []), name]
        if isinstance(command, click.Group):
            apply_conventions(command, path)
            continue
        have = {p.name for p in command.params}
        # A command with an option of the same name (scan's -q) keeps its own.
        command.params.extend(p for p in _shared_params() if p.name not in have)
        if command.callback is not None and not getattr(command.callback, "_conventions", False):
            command.callback = _checked(command.callback)
            command.callback._conventions = True  # type: ignore[attr-defined]  # NOTE: once only
        _env_names(command, path)
