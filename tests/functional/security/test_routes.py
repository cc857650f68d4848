"""Promises over every route, enumerated from the Pyramid introspector at run time, so
routes that features and add-ons add later are covered without editing this file
(SECURITY.md, "Access": nothing public by accident, CSRF on every unsafe method, GET
never writes).

Only routes are enumerated; views found by traversal on content (no route) are
checked by the content package's own ACL tests.
"""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

# Routes anyone may GET without signing in. Adding a route here is a decision: say why.
PUBLIC_ROUTES = {
    "accounts.login", "accounts.register", "accounts.verify", "accounts.reset_request",
    "accounts.reset",                                  # signing in needs no sign-in
    "content.search", "content.news_feed", "content.sitemap",  # published content only
    "api.openapi", "api.search", "api.content",        # the API shows published content
    "__static/", "views.language", "views.health", "views.robots",
    "merchants.directory", "merchants.shop",           # the public list of active shops
    "merchants.apply", "merchants.application_status",  # applying needs no account (secret link)
    "__merchants-static/",                             # the merchants' CSS
    "mynumber", "oidc.callback",                     # signing in with the MyNumber card
    "stepup.webauthn.signin",                          # signing in with a passkey
    "__stepup-webauthn-static/",                       # the WebAuthn pages' script
    "__points-pay-static/",                            # the pay page's QR scanner script
}
# Tables a GET may write: session bookkeeping (last_seen) and rate-limit counters.
GET_WRITABLE_TABLES = {"sessions", "rate_limit_hits"}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
STAR = re.compile(r"\*\w+$")
SAMPLE_VALUES = {"locale": "ja", "name": "sample", "token": "not-a-real-token"}


def routes(registry):
    """[(name, pattern, {methods})]; a view without request_method counts as every method."""
    found = []
    for item in registry.introspector.get_category("routes"):
        route = item["introspectable"]
        methods = set()
        for related in item["related"]:
            if related.category_name != "views":
                continue
            declared = related["request_methods"]
            if declared is None:
                methods |= {"GET", *UNSAFE}
            else:
                methods |= {declared} if isinstance(declared, str) else set(declared)
        if methods:
            found.append((route["name"], route["pattern"], methods))
    return found


def sample_url(pattern, values=None):
    values = {**SAMPLE_VALUES, **(values or {})}
    path = PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "1")), pattern)
    path = STAR.sub(lambda m: "style.css" if m.group(0) == "*subpath" else "", path)
    return "/" + path.lstrip("/")


def _is_login_redirect(response):
    return response.status_int in (302, 303) and \
        urlsplit(response.headers["Location"]).path == "/login"


def test_the_enumeration_finds_the_core_routes(registry):
    names = {name for name, _pattern, _methods in routes(registry)}
    assert {"accounts.login", "accounts.profile", "audit.list", "security.stepup"} <= names


def test_no_route_is_public_by_accident(testapp, registry):
    leaks = []
    for name, pattern, methods in routes(registry):
        if "GET" not in methods:
            continue
        url = sample_url(pattern)
        response = testapp.get(url, status="*", expect_errors=True)
        if name in PUBLIC_ROUTES:
            assert response.status_int < 500, (name, url, response.status)
            continue
        if not (response.status_int in (401, 403) or _is_login_redirect(response)):
            leaks.append((name, url, response.status))
    assert leaks == [], "anonymous GET reached these routes: add a permission " \
                        "(or, if it is meant to be public, add it to PUBLIC_ROUTES)"


@pytest.fixture
def manager_app(testapp, make_user):
    manager = make_user(email="boss@example.jp", roles=("Manager",))
    testapp.login("boss@example.jp")
    testapp.manager = manager
    return testapp


def test_every_unsafe_method_needs_a_csrf_token(manager_app, registry, write_counter):
    """Without a token (or with a forged one) every unsafe request is refused with 400 and
    writes nothing. 404/405 are accepted where no view takes the method at that URL (an
    API fallback, a sample id that does not exist): nothing ran, so nothing was forged."""
    values = {"user_id": manager_app.manager.id}
    wrong, refused = [], set()
    for name, pattern, methods in routes(registry):
        for method in sorted(methods & set(UNSAFE)):
            url = sample_url(pattern, values)
            for params in ("", "csrf_token=forged"):
                response = manager_app._gen_request(
                    method, url, params=params, status="*", expect_errors=True,
                    content_type="application/x-www-form-urlencoded")
                if response.status_int == 400:
                    refused.add(name)
                elif response.status_int not in (404, 405):
                    wrong.append((name, method, url, params, response.status))
    assert wrong == [], "\n".join(map(str, wrong))
    assert write_counter == []
    assert {"accounts.login", "accounts.logout", "accounts.profile", "accounts.delete",
            "accounts.manage_user_roles", "accounts.manage_user_status"} <= refused
    assert manager_app.get("/account").status_int == 200  # nothing above signed us out


@pytest.fixture
def write_counter(engine):
    writes = []
    pattern = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)

    def before(conn, cursor, statement, parameters, context, executemany):
        match = pattern.match(statement)
        if match and match.group(1).lower() not in GET_WRITABLE_TABLES:
            writes.append(statement.split("\n")[0][:120])

    event.listen(engine, "before_cursor_execute", before)
    yield writes
    event.remove(engine, "before_cursor_execute", before)


def _get_everything(app, registry, values=None):
    urls = ["/"]
    for _name, pattern, methods in routes(registry):
        if "GET" in methods:
            urls.append(sample_url(pattern, values))
    for url in urls:
        app.get(url, status="*", expect_errors=True)
    return urls


def test_get_never_writes_for_anonymous_visitors(testapp, registry, write_counter):
    urls = _get_everything(testapp, registry)
    assert len(urls) > 10
    assert write_counter == []


def test_get_never_writes_for_a_signed_in_manager(manager_app, registry, write_counter):
    manager_app.get("/account")  # the sign-in's own writes are done before we count
    del write_counter[:]
    _get_everything(manager_app, registry, {"user_id": manager_app.manager.id})
    assert write_counter == []
