def includeme(config):
    """Search: the ``search_fts`` index kept current by the content events, and ``/search``.

    Route ``content.search`` (``/search``, public: it only ever shows
    published content). ``kairan.content.search.services.reindex_all`` rebuilds
    the index; ``search`` queries it (also used by the JSON API).
    """
    from kairan.content import events
    from kairan.content.search.services import on_node_changed, on_subtree_changed

    for event in (events.ContentAdded, events.ContentModified, events.ContentStateChanged):
        config.add_subscriber(on_node_changed, event)
    for event in (events.ContentMoved, events.ContentTrashed, events.ContentRestored):
        config.add_subscriber(on_subtree_changed, event)
    config.add_route("content.search", "/search")
    config.scan(".views")
