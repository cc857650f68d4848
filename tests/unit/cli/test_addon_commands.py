"""Add-ons add ``kairan`` subcommands through the ``kairan.cli`` entry point group."""

from importlib.metadata import EntryPoint

import click
import pytest

from kairan.cli import main


@click.command()
def hello():
    """Say hello."""
    click.echo("hello from an add-on")


def entry_points_with(*entries):
    def fake(group):
        assert group == "kairan.cli"
        return list(entries)
    return fake


def test_an_entry_point_becomes_a_subcommand(monkeypatch):
    entry = EntryPoint("hello-addon", f"{__name__}:hello", "kairan.cli")
    monkeypatch.setattr("importlib.metadata.entry_points", entry_points_with(entry))
    monkeypatch.setattr(main.cli, "commands", dict(main.cli.commands))
    main._register_addon_commands()
    assert main.cli.commands["hello-addon"] is hello


def test_an_entry_point_may_not_replace_a_core_command(monkeypatch):
    entry = EntryPoint("db", f"{__name__}:hello", "kairan.cli")
    monkeypatch.setattr("importlib.metadata.entry_points", entry_points_with(entry))
    monkeypatch.setattr(main.cli, "commands", dict(main.cli.commands))
    with pytest.raises(RuntimeError, match="clashes with an existing command"):
        main._register_addon_commands()
    assert main.cli.commands["db"] is not hello
