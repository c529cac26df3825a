"""A click group that runs a default subcommand when the first word is not a subcommand."""

from __future__ import annotations

import click


class DefaultGroup(click.Group):
    """``clearweights bom PATH`` means ``clearweights bom build PATH``."""

    def __init__(self, *args: object, default: str, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Insert the default subcommand unless a subcommand or help was asked for."""
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)
