"""The ``add_content_type`` directive.

A type is a model (subclass of ``Node``), a colander schema, where it may be
added and with which permission. The core's own types are registered the
same way an add-on registers its own; two registrations of one name fail at
start-up with a configuration conflict naming both.
"""

from dataclasses import dataclass, field

from zope.interface import implementer

from kairan.content.interfaces import IContentType
from kairan.security.permissions import Permission


@implementer(IContentType)
@dataclass(frozen=True)
class ContentType:
    name: str
    model: type
    title: object
    addable_to: tuple = ()
    add_permission: str = Permission.ADD
    schema: object = None
    folderish: bool = False
    extra_fields: tuple = field(default=())

    def addable_in(self, container):
        return container is not None and container.type in self.addable_to


def add_content_type(config, name, model, title, addable_to=(), add_permission=Permission.ADD,
                     schema=None, folderish=False, extra_fields=()):
    """Directive: register a content type.

    ``model`` must subclass ``kairan.content.models.Node`` with
    ``polymorphic_identity == name``; ``addable_to`` names the container
    types; ``schema`` is a callable returning a colander schema for the form
    and the API. Views for the type are added with ``config.add_view(...,
    context=model)`` as usual.
    """
    from kairan.content.models import Node

    model = config.maybe_dotted(model)
    schema = config.maybe_dotted(schema)
    if not (isinstance(model, type) and issubclass(model, Node)):
        raise TypeError(f"content type {name!r}: {model!r} is not a subclass of Node")
    identity = model.__mapper__.polymorphic_identity
    if identity != name:
        raise ValueError(
            f"content type {name!r}: the model's polymorphic_identity is {identity!r}"
        )
    info = ContentType(name, model, title, tuple(addable_to), add_permission, schema, folderish,
                       tuple(extra_fields))

    def register():
        config.registry.registerUtility(info, IContentType, name=name)

    intr = config.introspectable("kairan content types", name, str(title), "kairan content type")
    intr["model"] = model
    config.action(("kairan.content_type", name), register, introspectables=(intr,))


def content_types(registry) -> dict:
    return dict(registry.getUtilitiesFor(IContentType))


def addable_types(request, container):
    """Types the current user may add inside ``container``, in title order."""
    found = []
    for info in content_types(request.registry).values():
        if info.addable_in(container) and request.has_permission(info.add_permission, container):
            found.append(info)
    return sorted(found, key=lambda i: i.name)
