"""``kairan demo``: the demo city, loaded idempotently."""

import importlib

import click

from kairan.cli.env import pass_env


def _reindex(dbsession, registry):
    """Rebuild the search index if the search feature is installed; True if it ran."""
    try:
        services = importlib.import_module("kairan.content.search.services")
    except ImportError:
        return False
    services.reindex_all(dbsession, registry)
    return True


@click.command()
@pass_env
def demo(env):
    """Load the demo city 回覧板市 (pages, news, events, users) and print the users.

    Creates only what is missing: running it again changes nothing. Refused
    when kairan.env is production.
    """
    from kairan.demo.services import DemoRefused, load_demo, run_demo_loaders
    from kairan.pagecache.services import bump_generation

    if env.settings["kairan.production"]:
        raise click.ClickException("the demo site is never loaded into production "
                                   "(kairan.env = production)")
    try:
        with env.transaction() as dbsession:
            result = load_demo(dbsession, env.settings)
            dbsession.flush()
            extra = run_demo_loaders(dbsession, env.registry)
            indexed = _reindex(dbsession, env.registry) if result.created_nodes else None
            if result.created_nodes:
                bump_generation(dbsession)  # running servers drop their cached pages
    except DemoRefused as e:
        raise click.ClickException(str(e)) from e
    if result.created_nodes or result.created_users:
        click.echo(f"demo city loaded: {result.created_nodes} pages and folders, "
                   f"{result.created_users} users created")
    else:
        click.echo("demo city already loaded: nothing changed")
    if indexed is False:
        click.echo("(search index not built: the search feature is not installed)")
    click.echo("")
    click.echo(f"Sign in at {env.settings['kairan.base_url']}/login with:")
    width = max(len(u.email) for u in result.users)
    for user in result.users:
        click.echo(f"  {user.role:<9} {user.email:<{width}}  {user.password}")
    for line in extra:
        click.echo(line)
