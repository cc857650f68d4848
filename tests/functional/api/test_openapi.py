"""The OpenAPI document: valid OpenAPI 3.1, public, and describing every API route."""

import json
from datetime import UTC, datetime

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate


def test_document_is_valid_openapi_and_public(testapp):
    response = testapp.get("/api/v1/openapi.json", status=200)
    assert response.content_type == "application/json"
    document = response.json
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_api_route_is_described(testapp, registry):
    from pyramid.interfaces import IRoutesMapper

    document = testapp.get("/api/v1/openapi.json").json
    documented = set(document["paths"])
    for route in registry.getUtility(IRoutesMapper).get_routes():
        if not route.pattern.startswith("/api/v1/"):
            continue
        pattern = route.pattern.replace("*traverse", "{path}")
        assert any(p.startswith(pattern.rstrip("/")) for p in documented), route.pattern


def test_content_schemas_come_from_the_colander_schemas(testapp):
    schemas = testapp.get("/api/v1/openapi.json").json["components"]["schemas"]
    page = schemas["CreatePage"]
    assert page["required"] == ["type", "title"]
    assert page["properties"]["title"]["maxLength"] == 300
    assert page["additionalProperties"] is False
    assert "state" not in page["properties"] and "owner_id" not in page["properties"]
    assert schemas["CreateEvent"]["properties"]["start"]["format"] == "date-time"
    assert "name" not in schemas["UpdatePage"]["properties"]
    assert "required" not in schemas["UpdatePage"]


def test_a_valid_create_body_by_the_document_is_accepted(tree, api, signed_in):
    signed_in("Editor")
    body = {"type": "folder", "title": "防災", "in_navigation": True}
    jsonschema.validate(body, api.schema({"$ref": "#/components/schemas/CreateContent"}))
    api.post("/api/v1/content/", body, status=201)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=50),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
FIELD_NAMES = st.sampled_from(["type", "title", "title_en", "body", "name", "start", "end",
                               "url", "in_navigation", "state", "owner_id", "place", "",
                               "description", "transition", "upload"])
BODIES = st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=6) | JSON_VALUES


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES, method=st.sampled_from(["POST", "PATCH", "PUT"]),
       target=st.sampled_from(["/api/v1/content/news/", "/api/v1/content/news/drill/",
                               "/api/v1/content/news/drill/@@transition"]))
def test_fuzzed_bodies_never_give_a_server_error(tree, api, editor, body, method, target):
    raw = json.dumps(body, allow_nan=True)
    response = api.call(method, target, raw=raw, status="*")
    assert response.status_int < 500, (method, target, raw, response.text)
    assert response.content_type == "application/json"
    if response.status_int >= 400:
        assert {"error", "message"} <= set(response.json)


def strategy_for(spec):
    """A hypothesis strategy for values valid under one field's JSON Schema."""
    types = spec.get("type")
    if "const" in spec:
        return st.just(spec["const"])
    options = types if isinstance(types, list) else [types]
    strategies = []
    for name in options:
        if name == "null":
            strategies.append(st.none())
        elif name == "boolean":
            strategies.append(st.booleans())
        elif name == "integer":
            strategies.append(st.integers(-1000, 1000))
        elif spec.get("format") == "date-time":
            strategies.append(st.datetimes(min_value=datetime(2000, 1, 1),
                                           max_value=datetime(2100, 1, 1),
                                           timezones=st.just(UTC)).map(
                lambda d: d.isoformat()))
        elif spec.get("format") == "uri":
            strategies.append(st.sampled_from(["https://www.example.jp/", "http://a.jp/x?y=1"]))
        else:
            strategies.append(st.text(min_size=spec.get("minLength", 0),
                                      max_size=min(spec.get("maxLength", 40), 40)))
    return st.one_of(strategies)


def body_strategy(schema):
    required = set(schema.get("required", ()))
    props = schema["properties"]
    return st.fixed_dictionaries(
        {k: strategy_for(v) for k, v in props.items() if k in required},
        optional={k: strategy_for(v) for k, v in props.items() if k not in required})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), type_name=st.sampled_from(["Page", "News", "Folder", "Event", "Link"]))
def test_bodies_valid_by_the_document_are_created_or_refused_cleanly(tree, api, editor, data,
                                                                     type_name):
    schema = api.document["components"]["schemas"]["Create" + type_name]
    body = data.draw(body_strategy(schema))
    response = api.post("/api/v1/content/news/", body, status="*")
    # 201, or a 422 for what only colander checks (slug pattern, NUL, end < start, ...)
    assert response.status_int in (201, 422), (body, response.text)
    if response.status_int == 422:
        assert response.json["fields"]
