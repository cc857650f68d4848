"""Security headers on every response (SECURITY.md, "Access")."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def security_headers_tween_factory(handler, registry):
    from kairan.security.sessions import cookie_name

    production = registry.settings["kairan.production"]
    session_cookie = cookie_name(registry.settings)

    def security_headers_tween(request):
        response = handler(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if production:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        # A signed-in page must not be kept by the browser or a shared cache.
        if session_cookie in request.cookies and request.session.user_id is not None:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response

    return security_headers_tween
