"""The search, feed and sitemap includemes register their routes and subscribers."""

from pyramid.config import Configurator
from pyramid.interfaces import IRoutesMapper
from zope.interface import implementedBy


def routes(config):
    return {r.name: r.pattern for r in config.registry.getUtility(IRoutesMapper).get_routes()}


def test_search_feeds_sitemap_includemes():
    from kairan.content import events

    config = Configurator(settings={})
    config.include("kairan.content.search")
    config.include("kairan.content.feeds")
    config.include("kairan.content.sitemap")
    config.commit()
    assert routes(config) == {"content.search": "/search", "content.news_feed": "/news.atom",
                              "content.sitemap": "/sitemap.xml"}
    for event in (events.ContentAdded, events.ContentModified, events.ContentStateChanged,
                  events.ContentMoved, events.ContentTrashed, events.ContentRestored):
        subscribers = config.registry.adapters.subscriptions([implementedBy(event)], None)
        assert subscribers, event
