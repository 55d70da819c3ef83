"""Option parsing shared by curate commands."""

from __future__ import annotations

import click


def parse_mapping(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for item in values:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            raise click.BadParameter(f"{item!r} is not of the form SRC=DST (e.g. --map query=instruction)", ctx=ctx, param=param)
        mapping[src] = dst
    return mapping


map_option = click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="SRC=DST",
    callback=parse_mapping,
    help="Rename a source key before the shape is detected (repeatable), e.g. --map query=instruction.",
)
