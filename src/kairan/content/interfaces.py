"""Extension points of the content tree."""

from zope.interface import Attribute, Interface


class IContentType(Interface):
    """A registered content type (see ``config.add_content_type``)."""

    name = Attribute("The type name, also the model's polymorphic identity: 'page', 'event'.")
    model = Attribute("The SQLAlchemy model, a subclass of kairan.content.models.Node.")
    title = Attribute("A translatable title for menus: 'ページ'.")
    addable_to = Attribute("Type names of the containers this type may be added to.")
    add_permission = Attribute("The permission needed on the container to add one.")
    schema = Attribute("A callable returning the colander schema of the add/edit form.")
    folderish = Attribute("True if other content may be added inside it.")
    extra_fields = Attribute("Model attributes, beyond the common ones, that the schema edits.")

    def addable_in(container):
        """True if an instance may be created inside ``container``."""


class IContentTextExtractor(Interface):
    """Turns a node into the plain text that search indexes (registered per type)."""

    def __call__(node, locale):
        """Return the searchable plain text of ``node`` in ``locale``."""
