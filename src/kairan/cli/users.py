"""``kairan user``: accounts created and roles granted by an operator."""

import secrets

import click
from sqlalchemy import select

from kairan.cli.env import pass_env


def _known_roles(env):
    from kairan.security.permissions import CORE_ROLES
    from kairan.security.roles import role_titles

    return set(map(str, CORE_ROLES)) | set(role_titles(env.registry))


def _check_roles(env, roles):
    unknown = sorted(set(roles) - _known_roles(env))
    if unknown:
        raise click.BadParameter(
            f"unknown role(s): {', '.join(unknown)}; known: {', '.join(sorted(_known_roles(env)))}",
            param_hint="--role",
        )


def _audit(dbsession, action, target, detail):
    """Write the audit entry for a change made from the command line (no request, no actor)."""
    from kairan.audit.models import AuditEntry
    from kairan.db.meta import utcnow

    dbsession.add(AuditEntry(at=utcnow(), actor_id=None, action=action, target=target,
                             address="cli", outcome="success", detail=detail))


def _find_user(dbsession, email):
    from kairan.accounts.models import User

    return dbsession.scalars(select(User).where(User.email == email.strip().lower())).first()


@click.group()
def user():
    """Accounts: add one, list them, change roles."""


@user.command("add")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Display name, e.g. '山田 花子'.")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="A role to grant (repeatable): Member, Editor, Reviewer, Operator, Manager.")
@click.option("--password", default=None,
              help="The password. Without it you are asked; leave the prompt empty to "
                   "generate one.")
@click.option("--generate", is_flag=True, help="Generate a random password and print it.")
@pass_env
def user_add(env, email, display_name, roles, password, generate):
    """Create an active account for EMAIL (its e-mail address counts as verified)."""
    from kairan.accounts.models import User, UserRole
    from kairan.accounts.passwords import hash_password, password_problems
    from kairan.db.meta import utcnow

    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.BadParameter(f"not an e-mail address: {email!r}", param_hint="EMAIL")
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 100:
        raise click.BadParameter("the name must be 1 to 100 characters", param_hint="--name")
    roles = tuple(dict.fromkeys(roles or ("Member",)))
    _check_roles(env, roles)
    generated = False
    if password is None and not generate:
        password = click.prompt("Password (empty: generate one)", default="", hide_input=True,
                                confirmation_prompt=True, show_default=False)
    if generate or not password:
        password, generated = secrets.token_urlsafe(15), True
    problems = password_problems(password, (email.split("@")[0], display_name,
                                            env.settings["kairan.site_title"]))
    if problems:
        raise click.ClickException("password refused: " + "; ".join(
            p.interpolate() for p in problems))
    with env.transaction() as dbsession:
        if _find_user(dbsession, email) is not None:
            raise click.ClickException(f"a user with the e-mail address {email} already exists")
        now = utcnow()
        account = User(email=email, display_name=display_name, status="active", created=now,
                       email_verified_at=now, password_hash=hash_password(password),
                       password_changed_at=now)
        account.roles = [UserRole(role=r) for r in roles]
        dbsession.add(account)
        dbsession.flush()
        _audit(dbsession, "user.created", f"user:{account.id}", {"roles": list(roles)})
    click.echo(f"added {email} with roles {', '.join(roles)}")
    if generated:
        click.echo(f"password: {password}")



@user.command("list")
@click.option("--role", default=None, help="Only users holding this role.")
@pass_env
def user_list(env, role):
    """List accounts: e-mail, status, roles, name."""
    from kairan.accounts.models import User, UserRole

    with env.transaction() as dbsession:
        query = select(User).order_by(User.email)
        if role:
            query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
        users = list(dbsession.scalars(query))
        rows = [(u.email, u.status, ",".join(u.role_names) or "-", u.display_name) for u in users]
    if not rows:
        click.echo("no users" + (f" with role {role}" if role else ""))
        return
    width = max(len(r[0]) for r in rows)
    for email, status, roles, name in rows:
        click.echo(f"{email:<{width}}  {status:<8}  {roles:<30}  {name}")


@user.command("roles")
@click.argument("email")
@click.option("--add", "added", multiple=True, metavar="ROLE", help="Grant ROLE (repeatable).")
@click.option("--remove", "removed", multiple=True, metavar="ROLE",
              help="Take ROLE away (repeatable).")
@pass_env
def user_roles(env, email, added, removed):
    """Show the global roles of EMAIL, or change them with --add / --remove."""
    from kairan.accounts.models import UserRole

    _check_roles(env, added)
    with env.transaction() as dbsession:
        account = _find_user(dbsession, email)
        if account is None:
            raise click.ClickException(f"no user with the e-mail address {email}")
        before = set(account.role_names)
        after = (before | set(added)) - set(removed)
        if after != before:
            account.roles = [r for r in account.roles if r.role in after] + [
                UserRole(role=r) for r in sorted(after - before)]
            _audit(dbsession, "user.roles_changed", f"user:{account.id}",
                   {"added": sorted(after - before), "removed": sorted(before - after)})
    click.echo(f"{email.lower()}: {', '.join(sorted(after)) or '(no roles)'}")
