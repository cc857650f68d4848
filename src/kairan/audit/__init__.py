def includeme(config):
    """Audit log: ``kairan.audit.services.audit(request, action, ...)``, the manager's
    log viewer at ``/manage/audit`` and its exporter."""
    config.add_route("audit.list", "/manage/audit",
                     factory="kairan.security.permissions.site_root_factory")
    config.scan(".views")
