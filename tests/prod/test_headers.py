"""Issue 10, item 11, on the production build: the pages the backend serves from the compiled frontend and its
routes carry the security headers (the development server's answers are checked in tests/e2e)."""

from __future__ import annotations

import urllib.request


def _headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return {key.lower(): value for key, value in response.headers.items()}


def test_production_pages_and_routes_carry_the_security_headers(prod_server):
    for path in ("/", "/connexion", "/accessibilite", "/ping"):
        headers = _headers(prod_server.url(path))
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy"), path
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), path
