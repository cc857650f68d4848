"""The command tree: help everywhere, errors as one line, never a traceback."""

import click
import pytest
from click.testing import CliRunner

from kairan.cli.main import KairanGroup, cli


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, path)


COMMANDS = [" ".join(path) for path, _ in all_commands(cli)]


def test_the_brief_s_commands_all_exist():
    for expected in ("db upgrade", "db downgrade", "db current", "db check", "demo", "serve",
                     "user add", "user list", "user roles", "export", "audit purge",
                     "mail send", "addon new", "search reindex"):
        assert expected in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_useful_help(command):
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    # the docstring's first line is shown: every command explains itself
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 15


def _group_with(exception):
    @click.group(cls=KairanGroup)
    @click.option("--traceback", is_flag=True)
    @click.pass_context
    def group(ctx, traceback):
        ctx.meta["kairan.traceback"] = traceback

    @group.command()
    def boom():
        """Fails."""
        raise exception

    return group


def test_an_unexpected_error_is_one_line_and_exit_status_1(monkeypatch):
    monkeypatch.delenv("KAIRAN_TRACEBACK", raising=False)
    result = CliRunner().invoke(_group_with(RuntimeError("disk full\nsecond line")), ["boom"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: RuntimeError: disk full"
    assert "Traceback" not in result.output


def test_traceback_flag_shows_the_real_error():
    result = CliRunner().invoke(_group_with(RuntimeError("disk full")), ["--traceback", "boom"])
    assert isinstance(result.exception, RuntimeError)


def test_click_errors_keep_their_own_status():
    result = CliRunner().invoke(_group_with(click.UsageError("bad usage")), ["boom"])
    assert result.exit_code == 2
    assert "bad usage" in result.output


def test_a_missing_configuration_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["-c", str(tmp_path / "none.ini"), "db", "upgrade"])
    assert result.exit_code == 1
    assert "configuration file not found" in result.output
    assert "Traceback" not in result.output


def test_production_with_the_default_secret_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("KAIRAN_SECRET", raising=False)
    ini = tmp_path / "prod.ini"
    ini.write_text("[app:main]\nuse = egg:kairan\nkairan.env = production\n"
                   "sqlalchemy.url = postgresql+psycopg://kairan@127.0.0.1:1/none\n"
                   "kairan.base_url = https://city.example.jp\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(ini), "demo"])
    assert result.exit_code == 1
    assert "KAIRAN_SECRET" in result.output
    assert "Traceback" not in result.output


def test_the_demo_is_never_loaded_into_production(tmp_path):
    ini = tmp_path / "prod.ini"
    # a complete, safe production configuration; the database is never reached
    ini.write_text("[app:main]\nuse = egg:kairan\nkairan.env = production\n"
                   "sqlalchemy.url = postgresql+psycopg://kairan@127.0.0.1:1/none\n"
                   "kairan.base_url = https://city.example.jp\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(ini), "demo"],
                                env={"KAIRAN_SECRET": "Zq8" * 16})
    assert result.exit_code == 1
    assert "never loaded into production" in result.output
