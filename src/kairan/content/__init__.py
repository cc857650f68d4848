import os


def includeme(config):
    """Content: the tree, the ``add_content_type`` and ``add_workflow`` directives,
    traversal, the core types and their views.

    URLs that no route claims are resolved against the content tree in one
    query (``kairan.content.traversal``). The core's own types and the
    default workflow are registered through the same directives an add-on
    uses. Changes go through ``kairan.content.services``.
    """
    from kairan.content.traversal import ContentRoot, NodeTraverser, content_root_factory
    from kairan.content.typeinfo import add_content_type
    from kairan.content.types import register_core_types
    from kairan.content.workflow import DEFAULT_WORKFLOW, add_workflow

    config.add_directive("add_content_type", add_content_type)
    config.add_directive("add_workflow", add_workflow)
    # an absolute path: under pytest's assertion rewriter, pkg_resources cannot
    # answer isdir() for an asset spec of a kairan sub-package
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    config.set_root_factory(content_root_factory)
    config.add_traverser(NodeTraverser, ContentRoot)
    config.add_workflow(DEFAULT_WORKFLOW)
    # every request body is bounded by kairan.upload.max_bytes before anything reads it
    config.add_subscriber("kairan.content.files.refuse_oversized_body",
                          "pyramid.events.NewRequest")

    def bound_request_bodies():
        from pyramid.interfaces import IExecutionPolicy
        from pyramid.router import default_execution_policy

        from kairan.content.files import bounded_execution_policy

        current = config.registry.queryUtility(IExecutionPolicy,
                                               default=default_execution_policy)
        config.registry.registerUtility(bounded_execution_policy(current), IExecutionPolicy)

    # order=1: after pyramid_retry has registered the policy this wraps
    config.action("kairan.content.bounded_request_bodies", bound_request_bodies, order=1)
    register_core_types(config)
    config.add_route("content.trash", "/manage/trash")
    config.scan(".views")
    config.include(".search")
    config.include(".feeds")
    config.include(".sitemap")
