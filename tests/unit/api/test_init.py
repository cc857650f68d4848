"""Each includeme of this area registers what its docstring says."""

from pyramid.config import Configurator
from pyramid.interfaces import IRoutesMapper


def routes(config):
    return {r.name: r.pattern for r in config.registry.getUtility(IRoutesMapper).get_routes()}


def test_api_includeme_adds_routes_and_catalogue():
    from pyramid.interfaces import ITranslationDirectories

    config = Configurator(settings={})
    config.include("kairan.api")
    config.commit()
    assert routes(config) == {"api.openapi": "/api/v1/openapi.json",
                              "api.search": "/api/v1/search",
                              "api.session": "/api/v1/session",
                              "api.content": "/api/v1/content/*traverse"}
    directories = config.registry.getUtility(ITranslationDirectories)
    assert any(d.endswith("kairan/api/locale") for d in directories)
