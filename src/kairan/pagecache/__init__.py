def includeme(config):
    """Page cache: every content event bumps the content generation, which tells each
    process's cache (``kairan.pagecache.middleware``) that its pages are out of date."""
    from kairan.content.events import ContentEvent
    from kairan.pagecache.services import on_content_event

    config.add_subscriber(on_content_event, ContentEvent)
