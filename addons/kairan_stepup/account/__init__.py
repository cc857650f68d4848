def includeme(config):
    """The resident's sign-in security page and the operator-assisted reset.

    - ``/account/security``: every factor of every kind (``all_factors``), add and
      remove (a fresh step-up at the factor's own level, never the last factor of
      the level the account requires), recovery codes, "sign out everywhere else";
      linked from the account page
    - ``/manage/users/{user_id}/second-factors``: an operator or manager removes
      every second factor of a resident who lost them all, after recording how
      the resident's identity was checked; linked from the user's manage page
    - setting ``kairan.stepup.role_levels``: ``Role:level`` words (e.g.
      ``Manager:2 Operator:2``): the level an account with that role must keep a
      factor for (default: none)
    """
    from kairan.i18n.translation import _
    from kairan.security.permissions import Permission
    from kairan_stepup.account.services import parse_role_levels
    from kairan_stepup.settings import coerce

    settings = coerce(config, {"kairan.stepup.role_levels": ""})
    settings["kairan.stepup.role_levels"] = parse_role_levels(
        settings["kairan.stepup.role_levels"])
    config.add_translation_dirs("kairan_stepup:account/locale")
    config.add_route("stepup.account", "/account/security")
    config.add_route("stepup.account.remove", "/account/security/remove/{kind}/{factor_id}")
    config.add_route("stepup.account.recovery", "/account/security/recovery-codes")
    config.add_route("stepup.account.sessions", "/account/security/sessions")
    config.add_route("stepup.manage_user", "/manage/users/{user_id}/second-factors")
    config.add_account_link("stepup.security", "stepup.account", _("Sign-in security"),
                            order=20)
    config.add_account_link("stepup.manage_user", "stepup.manage_user",
                            _("Reset second factors"), kind="manage_user",
                            permission=Permission.ACT_FOR_RESIDENT)
    config.scan(".views")
