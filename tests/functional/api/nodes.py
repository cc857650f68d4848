"""Building small content trees directly with the models (no services, no events)."""

from datetime import UTC, datetime, timedelta

from kairan.content.models import Event, Folder, News, Page

MODELS = {"folder": Folder, "page": Page, "news": News, "event": Event}
BASE_TIME = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)


class Tree:
    def __init__(self, dbsession):
        self.dbsession = dbsession
        self.count = 0
        self.root = self.add(None, "folder", "", "回覧板市", state="published")

    def add(self, parent, type_name, name, title, state="published", **fields):
        self.count += 1
        when = fields.pop("modified", BASE_TIME + timedelta(hours=self.count))
        node = MODELS[type_name](
            parent_id=parent.id if parent is not None else None,
            name=name,
            path="/" if parent is None else parent.path + name + "/",
            position=self.count,
            title=title,
            state=state,
            created=when,
            modified=when,
            published_at=when if state == "published" else None,
            **fields,
        )
        self.dbsession.add(node)
        self.dbsession.flush()
        return node

    def commit(self, reindex=True):
        if reindex:
            from kairan.content.search.services import reindex_all

            reindex_all(self.dbsession)
        self.dbsession.commit()
