"""``kairan jpki``: a test certification authority and a stand-in for the card-reader app,
so the MyNumber card flow runs end to end on one machine. Refused in production."""

import click

from kairan.cli.env import pass_env


def _refuse_in_production(env):
    if env.settings["kairan.production"]:
        raise click.ClickException("kairan jpki is for development and tests; it is refused "
                                   "in production (kairan.production is on)")


@click.group()
@click.pass_context
def jpki(ctx):
    """The MyNumber card for development: a test CA and a card that signs challenges."""


@jpki.command("make-test-ca")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--crl-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="How long the CRL stays current.")
@pass_env
def make_test_ca_command(env, directory, crl_days):
    """Write a test CA into DIRECTORY: root and intermediate, good, expired and revoked
    user certificates with their keys, and a CRL."""
    _refuse_in_production(env)
    from kairan_stepup.jpki.testca import make_test_ca

    ca = make_test_ca(directory, crl_days=crl_days)
    click.echo(f"test CA written to {ca.directory}")
    for name, (cert, key) in sorted(ca.users.items()):
        click.echo(f"  {name:8} certificate {cert}  key {key}")
    click.echo("Settings for the .ini (development only):")
    click.echo(f"  kairan.stepup.jpki.trust_anchors = {ca.trust_anchors.resolve()}")
    click.echo(f"  kairan.stepup.jpki.crl_files = {ca.crl.resolve()}")


@jpki.command("sign")
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The user's private key (PEM), standing in for the card.")
@click.option("--cert", "cert_path", required=True,
              type=click.Path(dir_okay=False, exists=True),
              help="The user certificate (PEM or DER).")
@click.argument("challenge")
@pass_env
def sign(env, key_path, cert_path, challenge):
    """Sign CHALLENGE (the line the sign-in page shows) like the card-reader app, and
    print the response to paste back."""
    _refuse_in_production(env)
    from pathlib import Path

    from kairan_stepup.jpki.testca import load_certificate, load_key, sign_challenge
    from kairan_stepup.jpki.verify import CardRefused, parse_challenge

    try:
        parse_challenge(challenge)
    except CardRefused as e:
        raise click.ClickException("this is not a Kairan MyNumber sign-in request "
                                   "(kairan-jpki-v1 origin=... nonce=... time=...)") from e
    try:
        key = load_key(Path(key_path).read_bytes())
        cert = load_certificate(Path(cert_path).read_bytes())
    except (ValueError, TypeError) as e:
        raise click.ClickException(f"cannot read the key or the certificate: {e}") from e
    click.echo(sign_challenge(key, cert, challenge.strip()))
