def includeme(config):
    """The default theme: templates and static assets only; the core names them by asset spec.

    Its strings are translated in the core's catalogue (``kairan:locale``).
    """
