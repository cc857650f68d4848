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


class IWorkflow(Interface):
    """A state machine for content, defined in Python (``kairan.content.workflow``).

    Registered with ``config.add_workflow(workflow, content_types=(...))``;
    it is validated when the directive is called, so a workflow naming an
    unknown state fails at start-up. Every workflow has the states
    ``private`` and ``published``: the ACL, search, the sitemap and the
    feeds treat ``published`` as the one public state.
    """

    name = Attribute("Unique name: 'default'.")
    states = Attribute("{state name: translatable title}, in display order.")
    initial = Attribute("The state a new node starts in.")
    transitions = Attribute("The ``Transition`` records, in display order.")

    def transitions_from(state):
        """The transitions whose source states include ``state``."""

    def find(name, state):
        """The transition ``name`` allowed from ``state``, or None."""

    def validate():
        """Raise ``WorkflowError`` if the definition is inconsistent."""
