def includeme(config):
    """Accounts: registration with e-mail verification, sign-in, sign-out, password
    reset, profile, account deletion and "download my data"."""
    config.add_route("accounts.login", "/login")
    config.add_route("accounts.logout", "/logout")
    config.add_route("accounts.register", "/register")
    config.add_route("accounts.verify", "/verify/{token}")
    config.add_route("accounts.reset_request", "/password-reset")
    config.add_route("accounts.reset", "/password-reset/{token}")
    config.add_route("accounts.profile", "/account")
    config.add_route("accounts.password", "/account/password")
    config.add_route("accounts.delete", "/account/delete")
    config.add_route("accounts.download", "/account/my-data.json")
