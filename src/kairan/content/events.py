"""Events the content tree publishes (``request.registry.notify(event)``).

Subscribers (search indexing, caches, add-ons) must not assume anything else
about who changed what: every change made through ``kairan.content.services``
sends exactly one of these, inside the request's transaction.
"""

from dataclasses import dataclass, field


@dataclass
class ContentEvent:
    node: object
    request: object = field(repr=False, default=None)


class ContentAdded(ContentEvent):
    """A node was created (it is flushed and has an id)."""


class ContentModified(ContentEvent):
    """A node's fields changed (edit or restore of a revision)."""


class ContentStateChanged(ContentEvent):
    """A workflow transition: ``node.state`` is the new state."""

    def __init__(self, node, request=None, old_state=None, transition=None):
        super().__init__(node, request)
        self.old_state = old_state
        self.transition = transition


class ContentMoved(ContentEvent):
    """A node (and its subtree) got a new parent or name; paths are updated."""


class ContentTrashed(ContentEvent):
    """A node (and its subtree) went to the trash."""


class ContentRestored(ContentEvent):
    """A node came back from the trash."""
