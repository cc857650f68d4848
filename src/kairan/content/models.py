"""The content tree: one ``Node`` table and a subclass per content type.

Every node stores its full ``path`` ("/", "/news/", "/news/festival/"), so
the traverser resolves a whole URL in one indexed query instead of one query
per segment. Folder, Page and News need no columns of their own and share
the ``nodes`` table; Event, File/Image and Link have joined tables.
A node's Japanese text is primary; the English columns may be empty.
"""

from datetime import datetime

from pyramid.authorization import Allow, Deny, Everyone
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kairan.db.meta import Base, UTCDateTime, utcnow
from kairan.security.permissions import (
    EDITOR_PERMISSIONS,
    SITE_ACL,
    Permission,
    user_principal,
)

# Localised fields: (Japanese column, English column)
TRANSLATED_FIELDS = ("title", "description", "body")


class Node(Base):
    __tablename__ = "nodes"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)
    __local_roles__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(50), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"),
                                                  index=True)
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    body_en: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="private", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    in_navigation: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # in the trash since; the node and its subtree are hidden until restored
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deleted_by: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped["Node | None"] = relationship(remote_side=[id], lazy="raise_on_sql")

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "node"}

    # -- traversal -------------------------------------------------------------
    @property
    def __name__(self):
        return self.name

    @property
    def __parent__(self):
        # set by the traverser from the ancestors it loaded in the same query
        return self.__dict__.get("_traversal_parent")

    def set_traversal_parent(self, parent):
        self.__dict__["_traversal_parent"] = parent

    # -- security --------------------------------------------------------------
    @property
    def is_public(self):
        """Published, not in the trash, and so is every ancestor whose lineage is known.

        A published page inside a private folder stays hidden: a folder being
        prepared must not leak through a page published early. The traverser
        (and ``traversal.find_node``) load the whole lineage, so the web and
        the API see the same answer.
        """
        node = self
        while node is not None:
            if node.state != "published" or node.deleted_at is not None:
                return False
            node = node.__parent__
        return True

    @property
    def __acl__(self):
        public = self.is_public
        acl = [(Allow, Everyone, Permission.VIEW)] if public else []
        if self.owner_id is not None:
            acl.append((Allow, user_principal(self.owner_id), EDITOR_PERMISSIONS))
        if not public:
            # The roles decide here; a published parent further up must not
            # grant VIEW to everyone on an unpublished child.
            acl.extend(SITE_ACL)
            acl.append((Deny, Everyone, Permission.VIEW))
        elif self.parent_id is None:
            acl.extend(SITE_ACL)
        return acl

    # -- language --------------------------------------------------------------
    def localized(self, field, locale):
        """(value, fell_back): the English value when asked and present, else Japanese."""
        if locale == "en":
            english = getattr(self, field + "_en", "")
            if english:
                return english, False
            return getattr(self, field), bool(getattr(self, field))
        return getattr(self, field), False


class Folder(Node):
    __mapper_args__ = {"polymorphic_identity": "folder"}


class Page(Node):
    __mapper_args__ = {"polymorphic_identity": "page"}


class News(Node):
    __mapper_args__ = {"polymorphic_identity": "news"}


class Event(Node):
    __tablename__ = "events"
    __mapper_args__ = {"polymorphic_identity": "event"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    place_en: Mapped[str] = mapped_column(String(300), default="")


class Link(Node):
    __tablename__ = "links"
    __mapper_args__ = {"polymorphic_identity": "link"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))


class Blob(Base):
    """Bytes of an uploaded file, kept in the database so every process sees them."""

    __tablename__ = "blobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)


class File(Node):
    __tablename__ = "files"
    __mapper_args__ = {"polymorphic_identity": "file"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    blob_id: Mapped[int] = mapped_column(ForeignKey("blobs.id"))
    # images only: the resized copy shown on pages, and the original's size
    display_blob_id: Mapped[int | None] = mapped_column(ForeignKey("blobs.id"))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)


class Image(File):
    __mapper_args__ = {"polymorphic_identity": "image"}


class Revision(Base):
    """A snapshot of a node's editable fields, taken at every save."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("node_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(300), default="")
    data: Mapped[dict] = mapped_column(JSON)
