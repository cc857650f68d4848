"""The core's own dashboard tiles, registered through ``add_dashboard_tile`` like any add-on's."""

from zoneinfo import ZoneInfo

from sqlalchemy import select

from kairan.dashboard.services import DashboardTile
from kairan.i18n.translation import _

TOKYO = ZoneInfo("Asia/Tokyo")


class AccountTile(DashboardTile):
    """My account: name, e-mail address, and the way to the account pages."""

    name = "account"
    title = _("My account")
    order = 10
    template = "kairan_theme_default:templates/dashboard/tile_account.pt"

    def is_visible(self, request):
        return request.user is not None

    def values(self, request):
        user = request.user
        return {
            "display_name": user.display_name,
            "email": user.email,
            "profile_url": "/account",
            "password_url": "/account/password",
            "data_url": "/account/my-data.json",
        }


class LatestNewsTile(DashboardTile):
    """The latest published news, newest first."""

    name = "news"
    title = _("Latest news")
    order = 20
    limit = 5
    template = "kairan_theme_default:templates/dashboard/tile_news.pt"

    def values(self, request):
        from kairan.content.models import News

        query = (
            select(News.path, News.title, News.title_en, News.published_at, News.modified)
            .where(News.state == "published", News.deleted_at.is_(None))
            .order_by(News.published_at.desc().nulls_last(), News.id.desc())
            .limit(self.limit)
        )
        english = request.locale_name == "en"
        items = []
        for path, title, title_en, published_at, modified in request.dbsession.execute(query):
            when = (published_at or modified).astimezone(TOKYO)
            items.append({
                "url": path,
                "title": title_en if english and title_en else title,
                "date": when.date().isoformat(),
            })
        return {"items": items}
