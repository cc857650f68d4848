"""The OpenAPI 3.1 document of ``/api/v1``, built from the registry at request time.

Content bodies come from the same colander schemas the forms use
(``kairan.api.schemas.type_schema``), so a type an add-on registers appears
here with its own fields.
"""

from kairan.api.schemas import type_schema
from kairan.content.typeinfo import content_types

JSON = "application/json"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema):
    return {JSON: {"schema": schema}}


def error_response(description):
    return {"description": description, "content": json_content(ref("Error"))}


ERRORS = {
    "400": error_response("Malformed request (not JSON, not an object, bad CSRF token)."),
    "401": error_response("Not signed in."),
    "403": error_response("Signed in, but not allowed."),
    "404": error_response("No such content (or it is in the trash)."),
    "422": error_response("Validation failed; ``fields`` names each bad field."),
}

DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}

SUMMARY_PROPERTIES = {
    "id": {"type": "integer"},
    "type": {"type": "string"},
    "name": {"type": "string"},
    "path": {"type": "string"},
    "state": {"type": "string"},
    "created": DATETIME,
    "modified": DATETIME,
    "published_at": NULLABLE_DATETIME,
    "title": {"type": "string", "description": "In the request's language (Japanese if missing)."},
    "url": {"type": "string", "format": "uri"},
    "api_url": {"type": "string", "format": "uri"},
}


def components(request):
    types = sorted(content_types(request.registry).values(), key=lambda i: i.name)
    schemas = {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": ["string", "integer"],
                          "description": "A stable code: invalid, invalid_json, csrf, "
                                         "forbidden, unauthorized, not_found, refused..."},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "NodeSummary": {
            "type": "object",
            "required": list(SUMMARY_PROPERTIES),
            "properties": SUMMARY_PROPERTIES,
        },
        "Node": {
            "type": "object",
            "required": [*SUMMARY_PROPERTIES, "fields", "parent_path"],
            "properties": {
                **SUMMARY_PROPERTIES,
                "parent_path": {"type": ["string", "null"]},
                "fields": {"type": "object",
                           "description": "The editable fields of the type (send these back "
                                          "in PATCH), plus file facts for files."},
                "children": {"type": "array", "items": ref("NodeSummary"),
                             "description": "Folders only: the children you may see."},
            },
        },
        "Transitions": {
            "type": "object",
            "required": ["state", "transitions"],
            "properties": {
                "state": {"type": "string"},
                "transitions": {"type": "array", "items": {
                    "type": "object", "required": ["name", "title", "target"],
                    "properties": {"name": {"type": "string"}, "title": {"type": "string"},
                                   "target": {"type": "string"}}}},
            },
        },
        "Session": {
            "type": "object",
            "required": ["user", "locale", "csrf_token"],
            "properties": {
                "user": {"type": "object", "required": ["id", "display_name"],
                         "properties": {"id": {"type": "integer"},
                                        "display_name": {"type": "string"}}},
                "locale": {"type": "string"},
                "csrf_token": {"type": "string",
                               "description": "Send it back in X-CSRF-Token."},
            },
        },
        "TransitionRequest": {
            "type": "object", "required": ["transition"], "additionalProperties": False,
            "properties": {"transition": {"type": "string", "minLength": 1,
                                          "examples": ["submit", "publish", "retract"]}},
        },
        "SearchResults": {
            "type": "object",
            "required": ["query", "locale", "page", "page_size", "pages", "total", "results"],
            "properties": {
                "query": {"type": "string"}, "locale": {"type": "string"},
                "page": {"type": "integer"}, "page_size": {"type": "integer"},
                "pages": {"type": "integer"}, "total": {"type": "integer"},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "type", "path", "url", "title", "title_html",
                                 "snippet_html", "modified"],
                    "properties": {
                        "id": {"type": "integer"}, "type": {"type": "string"},
                        "path": {"type": "string"}, "url": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "title_html": {"type": "string",
                                       "description": "Escaped HTML; matches in <mark>."},
                        "snippet_html": {"type": "string"},
                        "modified": NULLABLE_DATETIME,
                    }}},
            },
        },
    }
    create, update = [], []
    for info in types:
        if info.schema is None:
            continue
        title = info.name.capitalize()
        schemas[f"Create{title}"] = type_schema(info, request)
        schemas[f"Update{title}"] = type_schema(info, request, partial=True)
        create.append(ref(f"Create{title}"))
        update.append(ref(f"Update{title}"))
    schemas["CreateContent"] = {"oneOf": create}
    schemas["UpdateContent"] = {
        "anyOf": update,
        "description": "The fields of the node's own type (see Update<Type>).",
    }
    return {
        "schemas": schemas,
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "kairan_session",
                        "description": "The browser session from signing in at /login."},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                     "description": "Required on POST, PUT, PATCH and DELETE."},
        },
    }


PATH_PARAM = {
    "name": "path", "in": "path", "required": True,
    "description": "The content path below the site root, slashes included "
                   "(e.g. 'news/festival'); empty for the root.",
    "schema": {"type": "string"},
}
UNSAFE = [{"session": [], "csrf": []}]


def content_paths():
    node = {"description": "The node", "content": json_content(ref("Node"))}
    item = {
        "parameters": [PATH_PARAM],
        "get": {
            "operationId": "readContent",
            "summary": "Read a node; a folder lists the children you may see.",
            "security": [{}, {"session": []}],
            "responses": {"200": node, "401": ERRORS["401"], "403": ERRORS["403"],
                          "404": ERRORS["404"]},
        },
        "post": {
            "operationId": "createContent",
            "summary": "Create a node inside this folder (unknown fields are refused).",
            "security": UNSAFE,
            "requestBody": {"required": True, "content": json_content(ref("CreateContent"))},
            "responses": {"201": {**node, "headers": {"Location": {
                "schema": {"type": "string"}}}}, **ERRORS},
        },
        "patch": {
            "operationId": "updateContent",
            "summary": "Change some fields (a new revision).",
            "security": UNSAFE,
            "requestBody": {"required": True, "content": json_content(ref("UpdateContent"))},
            "responses": {"200": node, **ERRORS},
        },
        "put": {
            "operationId": "replaceContent",
            "summary": "Replace all fields (missing optional fields become empty).",
            "security": UNSAFE,
            "requestBody": {"required": True, "content": json_content(ref("UpdateContent"))},
            "responses": {"200": node, **ERRORS},
        },
        "delete": {
            "operationId": "trashContent",
            "summary": "Move the node and everything below it to the trash.",
            "security": UNSAFE,
            "responses": {"204": {"description": "In the trash."}, **ERRORS,
                          "409": error_response("Refused (the home page).")},
        },
    }
    transitions = {
        "parameters": [PATH_PARAM],
        "get": {
            "operationId": "listTransitions",
            "summary": "The workflow transitions you may take now.",
            "security": [{}, {"session": []}],
            "responses": {"200": {"description": "Transitions",
                                  "content": json_content(ref("Transitions"))},
                          "401": ERRORS["401"], "403": ERRORS["403"], "404": ERRORS["404"]},
        },
    }
    transition = {
        "parameters": [PATH_PARAM],
        "post": {
            "operationId": "transitionContent",
            "summary": "Take a workflow transition (submit, publish, reject, retract).",
            "security": UNSAFE,
            "requestBody": {"required": True, "content": json_content(ref("TransitionRequest"))},
            "responses": {"200": node, **ERRORS},
        },
    }
    return {
        "/api/v1/content/{path}": item,
        "/api/v1/content/{path}/@@transitions": transitions,
        "/api/v1/content/{path}/@@transition": transition,
    }


def build_document(request):
    paths = content_paths()
    paths["/api/v1/search"] = {
        "get": {
            "operationId": "search",
            "summary": "Search published content in the request's language.",
            "security": [{}],
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
                {"name": "page_size", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
            ],
            "responses": {"200": {"description": "Results, best first",
                                  "content": json_content(ref("SearchResults"))},
                          "422": ERRORS["422"]},
        },
    }
    paths["/api/v1/session"] = {
        "get": {
            "operationId": "session",
            "summary": "Who is signed in, and the CSRF token for unsafe methods.",
            "security": [{"session": []}],
            "responses": {"200": {"description": "The session",
                                  "content": json_content(ref("Session"))},
                          "401": ERRORS["401"]},
        },
    }
    paths["/api/v1/openapi.json"] = {
        "get": {"operationId": "openapi", "summary": "This document.", "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": json_content({"type": "object"})}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": request.registry.settings["kairan.site_title"] + " API",
            "version": "1",
            "description": (
                "Content of the portal as JSON. Sign in through the web site; the session "
                "cookie authenticates. Unsafe methods need the CSRF token (cookie "
                "kairan_csrf, or __Host-csrf in production; also in GET /api/v1/session) "
                "echoed in X-CSRF-Token. "
                "Messages follow ?_LOCALE_=, the language cookie, then Accept-Language."
            ),
        },
        "servers": [{"url": request.application_url}],
        "paths": paths,
        "components": components(request),
    }
