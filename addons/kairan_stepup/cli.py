"""``kairan stepup``: the encryption keys of the step-up add-on."""

import click

from kairan.cli.env import pass_env


@click.group()
def stepup():
    """Step-up sign-in: encryption keys of the stored second-factor secrets."""


@stepup.command("new-key")
def new_key():
    """Print a fresh encryption key (put it first in KAIRAN_STEPUP_KEYS)."""
    from kairan_stepup.crypto import new_key as generate

    click.echo(generate())


@stepup.command("rotate-keys")
@click.option("--batch", type=click.IntRange(min=1), default=200, show_default=True,
              help="Rows read per query.")
@pass_env
def rotate_keys(env, batch):
    """Re-encrypt every stored secret with the first key of kairan.stepup.encryption_keys.

    Run it after putting a new key first; when it has finished, the old keys
    can be removed from the settings.
    """
    from kairan.db.meta import Base
    from kairan_stepup.crypto import build_cipher, count_encrypted, rotate_all

    settings = env.registry.settings
    if "kairan.stepup.encryption_keys" not in settings:
        raise click.ClickException("the kairan_stepup add-on is not enabled in kairan.addons")
    keys = settings["kairan.stepup.encryption_keys"]
    fernet = build_cipher(keys)
    with env.transaction() as dbsession:
        total = count_encrypted(dbsession, Base)
        click.echo(f"re-encrypting {total} stored secrets with the first of {len(keys)} keys")
        with click.progressbar(length=total, label="re-encrypting") as bar:
            changed = rotate_all(dbsession, fernet, Base, batch=batch, progress=bar.update)
    click.echo(f"{changed} secrets re-encrypted; keys after the first may now be removed")
