"""The one way a named extension is registered: tiles, exporters, KPIs.

Each directive (``add_dashboard_tile``, ``add_exporter``, ``add_kpi``)
accepts an instance, a class (instantiated without arguments) or a dotted
name, checks the object provides its interface and has a well-formed name,
and registers it as a named utility through ``config.action``, so two
add-ons claiming one name fail at start-up with a ConfigurationConflictError
naming both places.
"""

import re

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def register_named(config, obj, interface, kind, title, key, reserved=()):
    """Register ``obj`` as the ``interface`` utility named ``obj.name``.

    ``kind`` is the discriminator's first part ("kairan.exporter"), ``title``
    the singular used in messages and introspection ("exporter"), ``key``
    the introspectable's key for the object, ``reserved`` names refused.
    """
    obj = config.maybe_dotted(obj)
    if isinstance(obj, type):
        obj = obj()
    if not interface.providedBy(obj):
        raise TypeError(f"{obj!r} does not provide {interface.__name__}")
    name = obj.name
    if not isinstance(name, str) or not NAME_RE.match(name) or name in reserved:
        refused = f", not {', '.join(repr(r) for r in sorted(reserved))}" if reserved else ""
        raise ValueError(
            f"{title} {name!r}: a name is 1-63 lower-case letters, digits, '_.-'{refused}"
        )

    def register():
        config.registry.registerUtility(obj, interface, name=name)

    intr = config.introspectable(f"kairan {title}s", name, str(obj.title), f"kairan {title}")
    intr[key] = obj
    config.action((kind, name), register, introspectables=(intr,))
    return obj
