"""``kairan user add|list|roles``."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from kairan.accounts.models import User
from kairan.accounts.passwords import verify_password
from kairan.audit.models import AuditEntry

PASSWORD = "hoshizora-no-michi-7"


def user_by_email(engine, email):
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == email)).first()
        if user is not None:
            user.role_names  # noqa: B018 - load while the session is open
        return user


def audit_actions(engine):
    with Session(engine) as session:
        return [(e.action, e.target, e.address) for e in session.scalars(select(AuditEntry))]


def test_add_with_a_password(kairan, cli_engine):
    result = kairan("user", "add", "Hanako@Example.jp", "--name", "山田 花子", "--role", "Editor",
                    "--role", "Reviewer", "--password", PASSWORD)
    assert "added hanako@example.jp with roles Editor, Reviewer" in result.output
    assert PASSWORD not in result.output
    user = user_by_email(cli_engine, "hanako@example.jp")
    assert user.status == "active" and user.email_verified_at is not None
    assert user.role_names == ["Editor", "Reviewer"]
    assert verify_password(user.password_hash, PASSWORD)
    assert ("user.created", f"user:{user.id}", "cli") in audit_actions(cli_engine)


def test_add_prompts_for_the_password(kairan, cli_engine):
    kairan("user", "add", "taro@example.jp", "--name", "山田 太郎",
           input=f"{PASSWORD}\n{PASSWORD}\n")
    user = user_by_email(cli_engine, "taro@example.jp")
    assert verify_password(user.password_hash, PASSWORD)
    assert user.role_names == ["Member"]


def test_add_generates_and_prints_a_password(kairan, cli_engine):
    result = kairan("user", "add", "jiro@example.jp", "--name", "佐藤 次郎", "--generate")
    password = result.output.split("password: ")[1].strip()
    assert len(password) >= 16
    assert verify_password(user_by_email(cli_engine, "jiro@example.jp").password_hash, password)


def test_an_empty_prompt_generates_a_password(kairan, cli_engine):
    result = kairan("user", "add", "saburo@example.jp", "--name", "佐藤 三郎", input="\n\n")
    password = result.output.split("password: ")[1].strip()
    assert verify_password(user_by_email(cli_engine, "saburo@example.jp").password_hash,
                           password)


def test_refusals_change_nothing(kairan, cli_engine):
    kairan("user", "add", "a@example.jp", "--name", "A", "--password", PASSWORD)
    duplicate = kairan("user", "add", "A@example.jp", "--name", "B", "--password", PASSWORD,
                       expect=1)
    assert "already exists" in duplicate.output
    weak = kairan("user", "add", "b@example.jp", "--name", "B", "--password", "password",
                  expect=1)
    assert "too common" in weak.output
    short = kairan("user", "add", "b@example.jp", "--name", "B", "--password", "abc", expect=1)
    assert "at least 8" in short.output
    role = kairan("user", "add", "b@example.jp", "--name", "B", "--role", "Mayor",
                  "--password", PASSWORD, expect=2)
    assert "unknown role(s): Mayor" in role.output
    bad = kairan("user", "add", "not-an-address", "--name", "B", "--password", PASSWORD,
                 expect=2)
    assert "not an e-mail address" in bad.output
    long_name = kairan("user", "add", "b@example.jp", "--name", "長" * 101, "--password",
                       PASSWORD, expect=2)
    assert "1 to 100 characters" in long_name.output
    assert user_by_email(cli_engine, "b@example.jp") is None


def test_list_and_filter_by_role(kairan):
    kairan("user", "add", "member@example.jp", "--name", "住民", "--password", PASSWORD)
    kairan("user", "add", "staff@example.jp", "--name", "職員", "--role", "Operator",
           "--password", PASSWORD)
    everyone = kairan("user", "list").output
    assert "member@example.jp" in everyone and "staff@example.jp" in everyone
    operators = kairan("user", "list", "--role", "Operator").output
    assert "staff@example.jp" in operators and "member@example.jp" not in operators
    assert "no users with role Manager" in kairan("user", "list", "--role", "Manager").output


def test_roles_add_and_remove(kairan, cli_engine):
    kairan("user", "add", "c@example.jp", "--name", "C", "--role", "Member",
           "--password", PASSWORD)
    assert "c@example.jp: Member" in kairan("user", "roles", "c@example.jp").output
    result = kairan("user", "roles", "C@example.jp", "--add", "Manager", "--remove", "Member")
    assert "c@example.jp: Manager" in result.output
    user = user_by_email(cli_engine, "c@example.jp")
    assert user.role_names == ["Manager"]
    assert ("user.roles_changed", f"user:{user.id}", "cli") in audit_actions(cli_engine)
    kairan("user", "roles", "c@example.jp", "--add", "Chief", expect=2)
    assert "no user" in kairan("user", "roles", "x@example.jp", "--add", "Editor",
                               expect=1).output
