"""Loading the demo city: creates what is missing, never changes what exists."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone

from sqlalchemy import select

from kairan.accounts.models import User, UserRole
from kairan.accounts.passwords import hash_password
from kairan.content.models import Event, Folder, Link, News, Node, Page
from kairan.db.meta import utcnow
from kairan.demo import news, pages

# Japan has had no daylight saving time since 1951: a fixed offset is exact
# and needs no time zone database on the machine.
JST = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    display_name: str
    password: str


# Fixed, printed demo passwords: they pass the password policy (not common,
# no part of the user's name or address) and are meant to be known.
DEMO_USERS = (
    DemoUser("Member", "resident@example.jp", "佐藤 花子", "kairan-demo-jumin-2025"),
    DemoUser("Editor", "editor@example.jp", "鈴木 健太（広報課）", "kairan-demo-henshu-2025"),
    DemoUser("Reviewer", "reviewer@example.jp", "高橋 由美（広報課長）", "kairan-demo-shonin-2025"),
    DemoUser("Operator", "operator@example.jp", "田中 大輔（情報政策課）", "kairan-demo-unyo-2025"),
    DemoUser("Manager", "manager@example.jp", "伊藤 誠（情報政策課長）", "kairan-demo-kanri-2025"),
)


def add_demo_loader(config, loader):
    """Directive: register an ``IDemoLoader``; two with one name fail at start-up."""
    from kairan.demo.interfaces import IDemoLoader
    from kairan.directives import register_named

    register_named(config, loader, IDemoLoader, "kairan.demo_loader", "demo loader", "loader")


def run_demo_loaders(dbsession, registry, today=None):
    """Run every registered add-on loader in order; returns the lines they print."""
    from kairan.demo.interfaces import IDemoLoader

    today = today or datetime.now(JST).date()
    loaders = sorted((loader for _name, loader in registry.getUtilitiesFor(IDemoLoader)),
                     key=lambda loader: (loader.order, loader.name))
    lines = []
    for loader in loaders:
        lines.extend(loader.load(dbsession, registry, today) or ())
    return lines


class DemoRefused(RuntimeError):
    """The demo must never be loaded into a production site."""


@dataclass
class DemoResult:
    created_nodes: int = 0
    created_users: int = 0
    users: tuple = DEMO_USERS
    skipped: list = field(default_factory=list)


def load_demo(dbsession, settings, today=None):
    """Add the demo city's users and content to ``dbsession``; the caller commits.

    Idempotent: a node whose path exists, or a user whose e-mail exists, is
    left as it is. ``today`` (a date in Japan) anchors news and event dates.
    """
    if settings.get("kairan.production"):
        raise DemoRefused("the demo site is not loaded into a production site "
                          "(kairan.env = production)")
    today = today or datetime.now(JST).date()
    result = DemoResult()
    users = _ensure_users(dbsession, result)
    loader = _TreeLoader(dbsession, owner_id=users["Editor"].id, result=result, today=today)
    loader.load()
    return result


def _ensure_users(dbsession, result):
    found = {}
    for demo in DEMO_USERS:
        user = dbsession.scalars(select(User).where(User.email == demo.email)).first()
        if user is None:
            now = utcnow()
            user = User(email=demo.email, display_name=demo.display_name, status="active",
                        created=now, email_verified_at=now, password_changed_at=now,
                        password_hash=hash_password(demo.password))
            roles = ["Member"] if demo.role == "Member" else ["Member", demo.role]
            user.roles = [UserRole(role=r) for r in roles]
            dbsession.add(user)
            dbsession.flush()
            result.created_users += 1
        found[demo.role] = user
    return found


class _TreeLoader:
    def __init__(self, dbsession, owner_id, result, today):
        self.dbsession = dbsession
        self.owner_id = owner_id
        self.result = result
        self.today = today
        self.published_at = self._jst(today - timedelta(days=60), time(9, 0))
        existing = dbsession.execute(select(Node.path, Node.id)).all()
        self.ids = dict(existing)

    @staticmethod
    def _jst(day, at):
        return datetime.combine(day, at, tzinfo=JST).astimezone(UTC)

    def _add(self, model, path, title, state="published", published_at=None, position=None,
             **fields):
        if path in self.ids:
            return
        parent_path = path.rstrip("/").rsplit("/", 1)[0] + "/" if path != "/" else None
        name = "" if path == "/" else path.rstrip("/").rsplit("/", 1)[1]
        siblings = sum(1 for p in self.ids if p != "/" and p.startswith(parent_path or "/")
                       and p.count("/") == path.count("/"))
        published_at = published_at or self.published_at
        node = model(
            name=name, path=path, parent_id=self.ids.get(parent_path) if parent_path else None,
            position=siblings if position is None else position, title=title, state=state,
            owner_id=self.owner_id, created=published_at, modified=published_at,
            published_at=published_at if state == "published" else None, **fields,
        )
        self.dbsession.add(node)
        self.dbsession.flush()
        self.ids[path] = node.id
        self.result.created_nodes += 1

    def load(self):
        self._add(Folder, "/", "回覧板市公式ホームページ", title_en="Kairan City official website",
                  description="回覧板市の公式ウェブサイトです。",
                  description_en="The official website of Kairan City.",
                  body=pages.HOME_BODY, body_en=pages.HOME_BODY_EN)
        for path, title, title_en, description in pages.FOLDERS:
            self._add(Folder, path, title, title_en=title_en, description=description)
        for path, title, title_en, description, body, body_en in pages.PAGES:
            self._add(Page, path, title, title_en=title_en, description=description, body=body,
                      body_en=body_en)
        for path, title, title_en, description, url in pages.LINKS:
            self._add(Link, path, title, title_en=title_en, description=description, url=url)
        for path, title, state, body in pages.WORKFLOW_PAGES:
            model = News if path.startswith("/oshirase/") else Page
            self._add(model, path, title, state=state, body=body)
        for name, days_ago, title, title_en, body, body_en in news.NEWS:
            at = self._jst(self.today - timedelta(days=days_ago), time(10, 0))
            self._add(News, f"/oshirase/{name}/", title, title_en=title_en, body=body,
                      body_en=body_en, published_at=at)
        for name, in_days, weekday, start, end, title, title_en, place, place_en, body in (
                news.EVENTS):
            day = self.today + timedelta(days=in_days)
            day += timedelta(days=(weekday - day.weekday()) % 7)
            self._add(Event, f"/kanko/{name}/", title, title_en=title_en, body=body,
                      place=place, place_en=place_en,
                      start=self._jst(day, time.fromisoformat(start)),
                      end=self._jst(day, time.fromisoformat(end)))
