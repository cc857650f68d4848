def includeme(config):
    """Content: the tree, the ``add_content_type`` directive, traversal, the core types.

    URLs that no route claims are resolved against the content tree in one
    query (``kairan.content.traversal``). The core's own types are registered
    through the same directive an add-on uses.
    """
    from kairan.content.traversal import ContentRoot, NodeTraverser, content_root_factory
    from kairan.content.typeinfo import add_content_type
    from kairan.content.types import register_core_types

    config.add_directive("add_content_type", add_content_type)
    config.set_root_factory(content_root_factory)
    config.add_traverser(NodeTraverser, ContentRoot)
    register_core_types(config)
    config.scan(".views")
