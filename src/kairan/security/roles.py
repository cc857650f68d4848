"""The ``add_role`` directive: the core's roles and those add-ons declare."""

from zope.interface import Interface


class IRoleTitles(Interface):
    """Marker for the utility holding {role name: title}."""


def add_role(config, name, title):
    """Directive: declare a role that can be granted globally or on a folder."""

    def register():
        roles = config.registry.queryUtility(IRoleTitles)
        if roles is None:
            roles = {}
            config.registry.registerUtility(roles, IRoleTitles)
        roles[str(name)] = title

    config.action(("kairan.role", str(name)), register)


def role_titles(registry) -> dict:
    return dict(registry.queryUtility(IRoleTitles) or {})
