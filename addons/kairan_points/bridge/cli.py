"""``kairan points bridge ...``: the regional currency bridge's commands."""

import click


@click.group("bridge")
def bridge():
    """Move points to and from the regional currency app."""
