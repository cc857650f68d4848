"""``kairan points``: verify the ledger, expire lots."""

import click


@click.group()
def points():
    """The points wallet: verify the ledger, expire lots."""
