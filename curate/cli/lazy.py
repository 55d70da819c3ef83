"""A Click group that imports each command's module only when that command runs.

Keeps `curate --help` instant (no polars/torch import) and lets each command live in its own small module.
Library errors become one clear message here, once, for every command.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

import click

# One-line help of known plugins, by entry point target, so that `--help` lists them without importing them.
# Any other plugin is listed as "NAME (plugin from DIST)".
PLUGIN_HELP = {
    "train_plugin.plugin:train": "Fine-tune a LoRA adapter on a cleaned dataset (SFT or DPO).",
}


class LazyGroup(click.Group):
    def __init__(
        self,
        *args: Any,
        lazy_commands: dict[str, tuple[str, str]],
        plugin_group: str | None = None,
        error_types: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # name -> ("module:attribute", one-line help shown by --help without importing the module)
        self.lazy_commands = dict(lazy_commands)
        self.error_types = error_types  # "module:Class" of the library base errors
        if plugin_group:
            for ep in entry_points(group=plugin_group):
                fallback = f"{ep.name} (plugin from {ep.dist.name if ep.dist else ep.module})"
                self.lazy_commands.setdefault(ep.name, (ep.value, PLUGIN_HELP.get(ep.value, fallback)))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        target = self.lazy_commands.get(name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        module = import_module(module_name)
        command = getattr(module, attr)
        if not isinstance(command, click.Command):
            command = command()  # a plugin's register() returns its command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy_commands[name][1]) for name in sorted(self.lazy_commands)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        errors = tuple(getattr(import_module(m), c) for m, c in (t.split(":") for t in self.error_types))
        try:
            return super().invoke(ctx)
        except errors as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("interrupted: outputs of the unfinished step were not written", err=True)
            sys.exit(130)
