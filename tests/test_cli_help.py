"""Every command of both CLIs has --help with an Example section (the list is read from the groups themselves).

The README names every command too, so a new command cannot ship undocumented.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from curate.cli import main as curate_main
from curate.cli.lazy import LazyGroup
from evalkit.cli import main as evalkit_main

GROUPS: dict[str, click.Group] = {"curate": curate_main, "evalkit": evalkit_main}


def _commands() -> list[tuple[str, str]]:
    ctx = click.Context(curate_main)
    out = []
    for prog, group in GROUPS.items():
        out.extend((prog, name) for name in group.list_commands(ctx))
    return out


def test_the_train_plugin_is_listed() -> None:
    assert ("curate", "train") in _commands()
    assert {"check", "clean", "format", "split"} <= {name for prog, name in _commands() if prog == "curate"}
    assert {"generate", "score", "report"} <= {name for prog, name in _commands() if prog == "evalkit"}


@pytest.mark.parametrize("prog", sorted(GROUPS))
def test_group_help_has_an_example(prog: str) -> None:
    result = CliRunner().invoke(GROUPS[prog], ["--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    for name in GROUPS[prog].list_commands(click.Context(GROUPS[prog])):
        assert name in result.output


@pytest.mark.parametrize(("prog", "name"), _commands(), ids=lambda v: v)
def test_command_help_has_an_example(prog: str, name: str) -> None:
    group = GROUPS[prog]
    assert isinstance(group, LazyGroup)
    import_module(group.lazy_commands[name][0].split(":")[0])
    result = CliRunner().invoke(group, [name, "--help"], prog_name=prog)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`{prog} {name} --help` has no Example section"
    assert f"{prog} {name}" in result.output.split("Example", 1)[1], "the example runs the command itself"


@pytest.mark.parametrize(("prog", "name"), _commands(), ids=lambda v: v)
def test_readme_shows_every_command(prog: str, name: str) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"{prog} {name}" in readme, f"README.md never shows `{prog} {name}`"
