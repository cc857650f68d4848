"""Fixtures for the API tests: a small site, signed-in clients, OpenAPI checks."""

import json

import jsonschema
import pytest

from tests.functional.api.nodes import Tree


@pytest.fixture
def tree(dbsession):
    tree = Tree(dbsession)
    tree.news = tree.add(tree.root, "folder", "news", "お知らせ", title_en="News")
    tree.drill = tree.add(tree.news, "news", "drill", "防災訓練のお知らせ",
                          body="<p>市の防災訓練を行います。</p>", title_en="Disaster drill")
    tree.draft = tree.add(tree.news, "page", "draft", "準備中のページ", state="private")
    tree.commit()
    return tree


class Api:
    """JSON calls with the CSRF header, checked against the OpenAPI document."""

    def __init__(self, testapp):
        self.app = testapp
        self._document = None

    @property
    def document(self):
        if self._document is None:
            self._document = self.app.get("/api/v1/openapi.json").json
        return self._document

    def schema(self, inner):
        return {**inner, "components": self.document["components"]}

    def check(self, template, method, response, body=None):
        operation = self.document["paths"][template][method.lower()]
        # a request that succeeded must have been a valid one by the document
        if body is not None and "requestBody" in operation and response.status_int < 300:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            jsonschema.validate(body, self.schema(schema),
                                cls=jsonschema.Draft202012Validator)
        spec = operation["responses"].get(str(response.status_int))
        assert spec is not None, f"{response.status_int} not documented for {method} {template}"
        if "content" in spec:
            schema = spec["content"]["application/json"]["schema"]
            jsonschema.validate(response.json, self.schema(schema),
                                cls=jsonschema.Draft202012Validator)
        return response

    def call(self, method, url, body=None, template=None, status="*", csrf=True, raw=None,
             headers=None):
        headers = dict(headers or {})
        if csrf:
            headers["X-CSRF-Token"] = self.app.csrf_token()
        kwargs = {"headers": headers, "status": status, "expect_errors": True}
        if raw is not None:
            kwargs["params"] = raw
            kwargs["content_type"] = "application/json"
        elif body is not None:
            kwargs["params"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(self.app, method.lower())(url, **kwargs)
        if template is not None:
            self.check(template, method, response, body if raw is None else None)
        return response

    def get(self, url, template="/api/v1/content/{path}", **kw):
        return self.call("GET", url, template=template, csrf=False, **kw)

    def post(self, url, body=None, template="/api/v1/content/{path}", **kw):
        return self.call("POST", url, body, template=template, **kw)

    def patch(self, url, body=None, **kw):
        return self.call("PATCH", url, body, template="/api/v1/content/{path}", **kw)

    def put(self, url, body=None, **kw):
        return self.call("PUT", url, body, template="/api/v1/content/{path}", **kw)

    def delete(self, url, **kw):
        return self.call("DELETE", url, template="/api/v1/content/{path}", **kw)


@pytest.fixture
def api(testapp):
    return Api(testapp)


@pytest.fixture
def signed_in(testapp, make_user):
    """signed_in(*roles) -> the user, signed in through the real sign-in form."""

    def factory(*roles):
        user = make_user(roles=roles)
        response = testapp.login(user.email)
        assert response.status_int in (302, 303), response.status
        return user

    return factory


@pytest.fixture
def editor(signed_in):
    return signed_in("Editor")
