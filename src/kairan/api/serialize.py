"""Content nodes as JSON (the ``Node`` schema of the OpenAPI document)."""

from datetime import datetime

from kairan.content.typeinfo import content_types

META_FIELDS = ("id", "type", "name", "path", "state", "created", "modified", "published_at")
COMMON_FIELDS = ("title", "title_en", "description", "description_en")
FILE_FIELDS = ("filename", "mimetype", "size", "width", "height")


def jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def api_path(request, node):
    return request.route_path("api.content", traverse=node.path.strip("/").split("/")
                              if node.path != "/" else ())


def node_fields(request, node):
    """Names of the editable fields of ``node``: its type's schema fields that it has."""
    info = content_types(request.registry).get(node.type)
    names = list(COMMON_FIELDS)
    if info is not None and info.schema is not None:
        names += [child.name for child in info.schema().children if child.name not in names]
    names += [f for f in FILE_FIELDS if f not in names]
    return [n for n in names if hasattr(type(node), n)]


def summary(request, node):
    data = {key: jsonable(getattr(node, key)) for key in META_FIELDS}
    data["title"], _fell_back = node.localized("title", request.locale_name)
    data["url"] = request.application_url + node.path
    data["api_url"] = request.application_url + api_path(request, node)
    return data


def node_json(request, node, children=None):
    data = summary(request, node)
    data["parent_path"] = node.path.rsplit("/", 2)[0] + "/" if node.path != "/" else None
    data["fields"] = {name: jsonable(getattr(node, name)) for name in node_fields(request, node)}
    if children is not None:
        data["children"] = [summary(request, child) for child in children]
    return data
