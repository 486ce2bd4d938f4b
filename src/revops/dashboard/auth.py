"""Signing in to the dashboard: an API key (``revops keys create``) kept in an HttpOnly,
SameSite=Strict cookie, or sent as ``Authorization: Bearer`` (scripts, benchmarks).

    GET  /              without a session: the sign-in page (200)
    POST /login         form field ``key``: sets the cookie, 303 to /   (wrong key: 401)
    GET  /login?key=... the sign-in link ``make demo`` prints
    GET  /logout        clears the cookie
"""

from __future__ import annotations

from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from revops.access import Principal
from revops.dashboard.html import head

COOKIE = "revops_key"
MAX_AGE = 30 * 24 * 3600


def principal_of(request: Request) -> Principal | None:
    """The signed-in principal: the cookie's key, else a Bearer header's; None: not signed in."""
    ring = request.app.state.services.keys
    key = request.cookies.get(COOKIE)
    if key:
        found = ring.principal(key)
        if found is not None:
            return found
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return ring.principal(given.strip())
    return None


def sign_in_page(error: str = "", status: int = 200) -> HTMLResponse:
    message = f"<p class=\"error\" role=\"alert\">{escape(error)}</p>" if error else ""
    html = (head("Sign in") + "<body><div class=\"signin\"><h1>revops</h1>"
            "<p>Sign in with an API key. An admin makes one with "
            "<code>revops keys create --role rep --user USER_ID</code> (roles: admin, ops, manager, rep).</p>"
            + message +
            "<form method=\"post\" action=\"/login\"><label for=\"key\">API key</label>"
            "<input type=\"password\" id=\"key\" name=\"key\" autocomplete=\"off\" required autofocus>"
            "<button type=\"submit\">Sign in</button></form></div></body></html>\n")
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def signed_in(request: Request, key: str) -> Response:
    """Check ``key``; the cookie and a redirect to / when it is a live key, else the sign-in
    page with an error (401)."""
    key = (key or "").strip()
    if not key or request.app.state.services.keys.principal(key) is None:
        return sign_in_page("That key is not a live API key: check it, or ask an admin for a new one.", 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, key, max_age=MAX_AGE, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


def signed_out() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
