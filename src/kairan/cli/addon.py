"""``kairan addon new``: a new add-on package, outside the core tree."""

import os

import click


@click.group()
def addon():
    """Add-ons: start a new add-on package outside the core tree."""


@addon.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to write the package (default: ./NAME).")
def addon_new(name, directory):
    """Write a complete add-on package NAME (a Python identifier, e.g. kairan_library).

    It has one content type with its own table and migration, a dashboard
    tile, an exporter, a Japanese catalogue and passing tests. Install it
    with 'pip install -e DIR', add NAME to kairan.addons and run
    'kairan db upgrade'.
    """
    from kairan.scaffold.generator import ScaffoldError, create_addon

    target = os.path.abspath(directory or name)
    try:
        written = create_addon(name, target)
    except ScaffoldError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"wrote {len(written)} files to {target}")
    click.echo("next:")
    click.echo(f"  pip install -e {target}")
    click.echo(f"  add '{name}' to kairan.addons in your .ini, then: kairan db upgrade")
    click.echo(f"  pytest {target}/tests")
