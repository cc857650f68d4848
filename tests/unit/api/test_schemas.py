"""Reading the content types' colander schemas for JSON (no database)."""

import colander
import pytest

from kairan.api import schemas
from kairan.content import schemas as content_schemas
from kairan.content.typeinfo import ContentType


class FakeModel:
    pass


def info(name, schema):
    return ContentType(name=name, model=FakeModel, title=name, schema=schema)


def test_field_schema_maps_colander_types():
    page = content_schemas.PageSchema().bind(request=None, editing=False)
    fields = schemas.json_fields(page)
    assert fields["title"][1]["type"] == "string"
    assert fields["title"][1]["minLength"] == 1 and fields["title"][1]["maxLength"] == 300
    assert fields["in_navigation"][1]["type"] == "boolean"
    event = content_schemas.EventSchema().bind(request=None, editing=False)
    end = schemas.json_fields(event)["end"][1]
    assert end["type"] == ["string", "null"] and end["format"] == "date-time"


def test_uploads_are_json_objects_with_base64_data():
    file_schema = content_schemas.FileSchema().bind(request=None, editing=False)
    upload = schemas.json_fields(file_schema)["upload"][1]
    assert upload["type"] == "object"
    assert upload["required"] == ["filename", "data"]
    assert upload["properties"]["data"]["contentEncoding"] == "base64"


def test_decode_upload_accepts_only_filename_and_base64_data():
    assert schemas.decode_upload({"filename": "a.txt", "data": "aGk="}) == {
        "filename": "a.txt", "data": b"hi"}
    assert schemas.decode_upload({"filename": "a.txt", "data": "a!"}) is None
    assert schemas.decode_upload({"filename": "", "data": "aGk="}) is None
    assert schemas.decode_upload({"filename": "a.txt"}) is None


def test_type_schema_create_and_update():
    page = info("page", content_schemas.PageSchema)
    create = schemas.type_schema(page)
    assert create["required"] == ["type", "title"]
    assert create["properties"]["type"] == {"const": "page"}
    assert "name" in create["properties"]
    update = schemas.type_schema(page, partial=True)
    assert "required" not in update and "name" not in update["properties"]
    assert update["additionalProperties"] is False


def test_check_body_refuses_unknown_keys_and_wrong_types():
    fields = schemas.json_fields(content_schemas.EventSchema().bind(request=None, editing=True))
    errors = schemas.check_body({"title": 5, "state": "published", "end": None,
                                 "in_navigation": 1, "type": "x"}, fields, ("type",))
    assert set(errors) == {"title", "state", "in_navigation"}
    assert schemas.check_body({"in_navigation": True, "title": "x"}, fields) == {}


def test_deserialize_merges_over_current_values():
    schema = content_schemas.PageSchema().bind(request=None, editing=True)
    fields = schemas.json_fields(schema)
    current = {"title": "元", "title_en": "", "description": "", "description_en": "",
               "in_navigation": True, "body": "<p>x</p>", "body_en": ""}
    result = schemas.deserialize(schema, fields, {"title_en": "New"}, current)
    assert result["title"] == "元" and result["title_en"] == "New"
    assert result["in_navigation"] is True
    with pytest.raises(colander.Invalid) as caught:
        schemas.deserialize(schema, fields, {"title": ""}, current)
    assert "title" in caught.value.asdict()
