"""The content schemas of the forms, read for the API: JSON Schema and body checks.

The API validates with the very colander schemas the forms use
(``IContentType.schema``). JSON adds a question colander does not ask: is a
value of the right JSON type? colander would turn ``5`` or ``["a"]`` into a
string. So a body is first checked against the JSON Schema derived here (the
same one the OpenAPI document publishes), then deserialised by colander.

Mass assignment: a key that is not a field of the type's schema (``state``,
``owner_id``, ``id``, ``path``...) is refused with a field error, never
silently applied or ignored, so a client learns at once that it is not
settable. State changes go through the transition endpoint only.
"""

import base64
import binascii

import colander

from kairan.content.schemas import Upload
from kairan.i18n.translation import _

# Keys of a create request beyond the schema's fields.
CREATE_KEYS = ("type",)


def _length(validator, schema):
    if isinstance(validator, colander.Length):
        if validator.min is not None:
            schema["minLength"] = validator.min
        if validator.max is not None:
            schema["maxLength"] = validator.max
    elif isinstance(validator, colander.All):
        for inner in validator.validators:
            _length(inner, schema)
    elif validator is colander.url:
        schema["format"] = "uri"


def field_schema(node):
    """JSON Schema of one colander node, or None if JSON cannot carry it (uploads)."""
    typ = node.typ
    if isinstance(typ, colander.DateTime):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(typ, colander.Date):
        schema = {"type": "string", "format": "date"}
    elif isinstance(typ, colander.String):
        schema = {"type": "string"}
        _length(node.validator, schema)
    elif isinstance(typ, colander.Boolean):
        schema = {"type": "boolean"}
    elif isinstance(typ, colander.Integer):
        schema = {"type": "integer"}
    elif isinstance(typ, Upload):
        schema = {
            "type": "object",
            "properties": {
                "filename": {"type": "string", "minLength": 1, "maxLength": 255},
                "data": {"type": "string", "contentEncoding": "base64",
                         "description": "The file's bytes, base64-encoded."},
            },
            "required": ["filename", "data"],
            "additionalProperties": False,
        }
    else:
        return None
    schema["title"] = str(node.title)
    if node.missing is None:
        schema["type"] = [schema["type"], "null"]
    return schema


def json_fields(schema):
    """{name: (colander node, JSON Schema)} of the fields JSON can set."""
    found = {}
    for child in schema.children:
        json_schema = field_schema(child)
        if json_schema is not None:
            found[child.name] = (child, json_schema)
    return found


def is_required(node):
    return node.missing is colander.required


def bind(info, request, editing):
    """The type's colander schema bound as the forms bind it (``editing`` drops ``name``)."""
    return info.schema().bind(request=request, editing=editing)


def type_schema(info, request=None, partial=False):
    """The JSON Schema of a create (or, ``partial``, update) body for content type ``info``."""
    schema = bind(info, request, editing=partial)
    fields = json_fields(schema)
    properties = {name: spec for name, (_node, spec) in fields.items()}
    required = [] if partial else [n for n, (node, _s) in fields.items() if is_required(node)]
    if not partial:
        properties = {"type": {"const": info.name}, **properties}
        required = ["type", *required]
    result = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        result["required"] = required
    return result


JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "null": type(None),
              "object": dict}


def decode_upload(value):
    """``{"filename", "data"}`` with the data base64-decoded, or None if malformed."""
    if set(value) != {"filename", "data"}:
        return None
    filename, data = value["filename"], value["data"]
    if not (isinstance(filename, str) and 0 < len(filename) <= 255 and storable_text(filename)):
        return None
    if not isinstance(data, str):
        return None
    try:
        return {"filename": filename, "data": base64.b64decode(data, validate=True)}
    except (binascii.Error, ValueError):
        return None


def _json_type_ok(value, spec):
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    for name in types:
        expected = JSON_TYPES[name]
        # bool is an int in Python, not in JSON
        if isinstance(value, expected) and not (name == "integer" and isinstance(value, bool)):
            return True
    return False


def storable_text(value):
    """False for text no database column takes: NUL characters, lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_body(body, fields, extra_keys=()):
    """Field errors {name: message} for unknown keys and values of the wrong JSON type."""
    errors = {}
    for key, value in body.items():
        if key in extra_keys:
            continue
        if key not in fields or not storable_text(key):
            errors[safe_key(key)] = _("This field does not exist or cannot be set here.")
        elif not _json_type_ok(value, fields[key][1]):
            errors[key] = _("This value has the wrong type.")
        elif isinstance(value, str) and not storable_text(value):
            errors[key] = _("This text contains characters that cannot be stored.")
    return errors


def safe_key(key):
    """A client's key, made safe to echo back in a JSON error."""
    return key[:100] if storable_text(key) else "?"


def deserialize(schema, fields, body, current=None):
    """colander appstruct of ``body`` (merged over ``current`` field values for PATCH).

    Raises ``colander.Invalid``.
    """
    cstruct = {}
    if current is not None:
        serialized = schema.serialize({
            name: (colander.null if current.get(name) is None else current[name])
            for name in fields
        })
        cstruct.update({k: v for k, v in serialized.items() if k in fields})
    for key, value in body.items():
        if key in fields:
            cstruct[key] = colander.null if value is None else value
    for name, (node, _spec) in fields.items():
        if isinstance(node.typ, colander.Boolean) and isinstance(cstruct.get(name), bool):
            # colander's Boolean reads strings; hand it the form's spelling
            cstruct[name] = "true" if cstruct[name] else "false"
        elif isinstance(node.typ, colander.Integer) and isinstance(cstruct.get(name), int):
            cstruct[name] = str(cstruct[name])
        elif isinstance(node.typ, Upload) and isinstance(cstruct.get(name), dict):
            decoded = decode_upload(cstruct[name])
            if decoded is None:
                raise colander.Invalid(node, _("Send the file as an object with a file name "
                                               "and its bytes in base64."))
            cstruct[name] = decoded
    return schema.deserialize(cstruct)
