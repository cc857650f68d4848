"""Security headers on every response (SECURITY.md, "Access")."""


def test_security_headers_on_a_public_page(testapp):
    response = testapp.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_security_headers_on_an_error_page(testapp):
    response = testapp.get("/no/such/page", status=404)
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    assert "ページ" in response.text or "Page not found" in response.text


def test_api_not_found_is_json(testapp):
    response = testapp.get("/api/v1/nothing-here", status=404)
    assert response.content_type == "application/json"
    assert response.json["message"]
