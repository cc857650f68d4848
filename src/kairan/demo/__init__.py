"""The demo city, 回覧板市 (Kairan City): content and users for ``kairan demo``.

``kairan.demo.services.load_demo(dbsession, settings)`` creates what is
missing and leaves everything else alone, so running it twice changes
nothing.
"""
