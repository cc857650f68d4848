"""A test-only add-on: pages that need level 2 and level 3, to step up to."""

from pyramid.response import Response

from kairan.security.permissions import Permission

SITE = "kairan.security.permissions.site_root_factory"


def protected(request):
    return Response(f"<!DOCTYPE html><html lang='ja'><head><title>protected</title></head>"
                    f"<body><main><h1>level {request.assurance.level} page</h1></main>"
                    f"</body></html>")


def includeme(config):
    config.add_route("test.webauthn.two", "/test/webauthn/two", factory=SITE)
    config.add_route("test.webauthn.top", "/test/webauthn/top", factory=SITE)
    config.add_view(protected, route_name="test.webauthn.two", permission=Permission.MEMBER,
                    assurance=2)
    config.add_view(protected, route_name="test.webauthn.top", permission=Permission.MEMBER,
                    assurance=3)
