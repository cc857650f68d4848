def includeme(config):
    """Security: policy, database sessions, CSRF, assurance levels, rate limits, headers.

    - Every view without an explicit permission needs ``Permission.MEMBER``
      (a signed-in user): nothing is public by accident.
    - Every unsafe method needs a CSRF token (form field ``csrf_token`` or
      header ``X-CSRF-Token``); the token lives in its own cookie so that an
      anonymous form costs no session row.
    - ``assurance=N|"action"`` / ``max_age=S`` view options, ``add_authenticator``,
      ``add_assurance_action``,
      ``register_rate_limiter`` and ``add_role`` directives.
    """
    from kairan.security.assurance import (
        add_assurance_action,
        add_authenticator,
        assurance_deriver,
        get_assurance,
    )
    from kairan.security.csrf import VisitorCSRFStoragePolicy
    from kairan.security.permissions import CORE_ROLES, Permission
    from kairan.security.policy import KairanSecurityPolicy, get_user
    from kairan.security.ratelimit import register_rate_limiter
    from kairan.security.roles import add_role
    from kairan.security.sessions import load_session

    settings = config.get_settings()
    production = settings["kairan.production"]
    config.set_security_policy(KairanSecurityPolicy())
    config.set_session_factory(load_session)
    config.set_csrf_storage_policy(
        VisitorCSRFStoragePolicy(
            cookie_name="__Host-csrf" if production else "kairan_csrf",
            secure=production,
            httponly=True,
            samesite="Lax",
            max_age=None,
        )
    )
    config.set_default_csrf_options(require_csrf=True)
    config.set_default_permission(Permission.MEMBER)
    config.add_request_method(get_user, "user", reify=True)
    config.add_request_method(get_assurance, "assurance", reify=True)
    config.add_view_deriver(assurance_deriver)
    config.add_directive("add_authenticator", add_authenticator)
    config.add_directive("add_assurance_action", add_assurance_action)
    config.add_directive("register_rate_limiter", register_rate_limiter)
    config.add_directive("add_role", add_role)
    for role, title in CORE_ROLES.items():
        config.add_role(role, title)
    window = settings["kairan.login.window_seconds"]
    config.register_rate_limiter("login.account", settings["kairan.login.account_limit"], window)
    config.register_rate_limiter("login.address", settings["kairan.login.address_limit"], window)
    config.add_tween("kairan.security.headers.security_headers_tween_factory")
    config.add_route("security.stepup", "/stepup")
    config.scan(".views")
