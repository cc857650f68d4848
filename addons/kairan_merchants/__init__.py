def includeme(config):
    """Merchants: applications, screening, the public directory, QR codes, merchant pages.

    - Settings (``kairan_merchants.settings``): ``kairan.merchants.programmes``,
      ``.areas``, ``.map_url``, ``.qr_prefix``, ``.link_days``, ``.apply_limit``.
    - Role ``MerchantStaff`` (``config.add_role``); staff see only the pages of
      the merchants they are recorded as staff of (``merchant_staff``).
    - ``IMerchantDirectory`` utility: other add-ons (points) look up merchants
      and branches and verify a scanned QR payload through the registry.
    - ``config.add_merchant_page(name, route_name, title, order=100)``: another
      add-on's page listed on a merchant's home page (route gets ``merchant_id``).
    - KPIs, exporters for every table, a personal-data section, a demo loader,
      a dashboard tile for merchant staff.
    - Routes: ``/shops`` (directory), ``/shops/apply`` (public application),
      ``/manage/merchants`` (operators' screening), ``/merchant/{id}`` (staff).
    """
    import os

    from pyramid.security import NO_PERMISSION_REQUIRED

    from kairan_merchants.demo import MerchantsDemoLoader
    from kairan_merchants.directory import MerchantDirectory
    from kairan_merchants.exporters import EXPORTERS
    from kairan_merchants.interfaces import IMerchantDirectory
    from kairan_merchants.kpis import kpi_providers
    from kairan_merchants.pages import add_merchant_page
    from kairan_merchants.services import MERCHANT_STAFF_ROLE, MerchantPersonalData
    from kairan_merchants.settings import read_settings
    from kairan_merchants.tiles import MerchantTile

    settings = read_settings(config)
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    config.add_role(MERCHANT_STAFF_ROLE, "加盟店スタッフ (MerchantStaff)")
    config.registry.registerUtility(MerchantDirectory(), IMerchantDirectory)
    config.add_directive("add_merchant_page", add_merchant_page)
    config.register_rate_limiter("merchants.apply", settings["kairan.merchants.apply_limit"],
                                 3600)

    config.add_static_view("merchants-static", "kairan_merchants:static", cache_max_age=86400,
                           permission=NO_PERMISSION_REQUIRED)
    site = "kairan.security.permissions.site_root_factory"
    screening = "kairan_merchants.views.resources.screening_root"
    merchant = "kairan_merchants.views.resources.merchant_context"
    config.add_route("merchants.directory", "/shops", factory=site)
    config.add_route("merchants.shop", "/shops/{branch_id:\\d+}", factory=site)
    config.add_route("merchants.apply", "/shops/apply", factory=site)
    config.add_route("merchants.application_status", "/shops/apply/{token}", factory=site)
    config.add_route("merchants.queue", "/manage/merchants/applications", factory=screening)
    config.add_route("merchants.review", "/manage/merchants/applications/{application_id:\\d+}",
                     factory=screening)
    config.add_route("merchants.manage_list", "/manage/merchants", factory=screening)
    config.add_route("merchants.manage", "/manage/merchants/{merchant_id:\\d+}",
                     factory=screening)
    config.add_route("merchants.mine", "/merchant", factory=site)
    config.add_route("merchants.home", "/merchant/{merchant_id:\\d+}", factory=merchant)
    config.add_route("merchants.branches", "/merchant/{merchant_id:\\d+}/branches",
                     factory=merchant)
    config.add_route("merchants.branch_close",
                     "/merchant/{merchant_id:\\d+}/branches/{branch_id:\\d+}/close",
                     factory=merchant)
    config.add_route("merchants.staff", "/merchant/{merchant_id:\\d+}/staff", factory=merchant)
    config.add_route("merchants.posters", "/merchant/{merchant_id:\\d+}/posters",
                     factory=merchant)
    config.add_route("merchants.poster",
                     "/merchant/{merchant_id:\\d+}/posters/{branch_id:\\d+}", factory=merchant)
    config.add_route("merchants.qr_svg",
                     "/merchant/{merchant_id:\\d+}/posters/{branch_id:\\d+}/qr.svg",
                     factory=merchant)

    for exporter in EXPORTERS:
        config.add_exporter(exporter)
    for provider in kpi_providers(settings):
        config.add_kpi(provider)
    config.add_personal_data_provider(MerchantPersonalData())
    config.add_dashboard_tile(MerchantTile())
    config.add_demo_loader(MerchantsDemoLoader())
    config.scan(".views")
