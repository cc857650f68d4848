"""kairan.content.includeme: what it registers."""

from pyramid.interfaces import IExecutionPolicy

from kairan.content.typeinfo import content_types
from kairan.content.workflow import DEFAULT_WORKFLOW, get_workflow


def test_includeme_registers_types_workflow_route_and_body_limit(app_config, registry):
    assert {"folder", "page", "news", "event", "link", "file", "image"} <= \
        set(content_types(registry))
    assert get_workflow(registry, "page") is DEFAULT_WORKFLOW
    assert hasattr(app_config, "add_content_type") and hasattr(app_config, "add_workflow")
    routes = {r.name for r in app_config.get_routes_mapper().get_routes()}
    assert "content.trash" in routes
    policy = registry.getUtility(IExecutionPolicy)
    assert policy.__name__ == "execution_policy"  # the bounded wrapper around retry
