def includeme(config):
    """Accounts: registration with e-mail verification, sign-in, sign-out, password
    reset, profile, account deletion and "download my data"; the managers' user list.

    ``config.add_personal_data_provider(provider)`` adds a section (an
    ``IPersonalDataProvider``) to "download my data"; two with one name fail
    at start-up. The core registers ``account``, ``roles``, ``sessions`` and
    ``audit``. ``config.add_account_link(name, route_name, title, kind=...)``
    lists an add-on's page on the account page (``kind="account"``) or on a
    manager's page about one user (``kind="manage_user"``).
    """
    import os

    from kairan.accounts.links import add_account_link
    from kairan.accounts.providers import CORE_PROVIDERS, add_personal_data_provider

    site = "kairan.security.permissions.site_root_factory"
    config.add_route("accounts.login", "/login", factory=site)
    config.add_route("accounts.logout", "/logout", factory=site)
    config.add_route("accounts.register", "/register", factory=site)
    config.add_route("accounts.verify", "/verify/{token}", factory=site)
    config.add_route("accounts.reset_request", "/password-reset", factory=site)
    config.add_route("accounts.reset", "/password-reset/{token}", factory=site)
    config.add_route("accounts.profile", "/account", factory=site)
    config.add_route("accounts.password", "/account/password", factory=site)
    config.add_route("accounts.delete", "/account/delete", factory=site)
    config.add_route("accounts.download", "/account/my-data.json", factory=site)
    config.add_route("accounts.manage_users", "/manage/users", factory=site)
    config.add_route("accounts.manage_user", "/manage/users/{user_id:\\d+}", factory=site)
    config.add_route("accounts.manage_user_roles", "/manage/users/{user_id:\\d+}/roles",
                     factory=site)
    config.add_route("accounts.manage_user_status", "/manage/users/{user_id:\\d+}/status",
                     factory=site)
    # an absolute path: pkg_resources cannot list a package loaded by pytest's
    # assertion-rewriting importer (Kairan is a pytest plugin), asset specs can
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    config.add_directive("add_personal_data_provider", add_personal_data_provider)
    config.add_directive("add_account_link", add_account_link)
    settings = config.get_settings()
    config.register_rate_limiter("accounts.mail", settings["kairan.accounts.mail_limit"],
                                 settings["kairan.accounts.mail_window_seconds"])
    for provider in CORE_PROVIDERS:
        config.add_personal_data_provider(provider)
    config.scan(".views")
