"""Who may use a ``bertui serve``: whoever holds its token, as with Jupyter.

The token comes in the URL the server prints (``/?token=…``). The first good visit sets it as a
cookie and redirects to the same page without it, so reloads work and the token leaves the address
bar; the websocket and the downloads the page then opens carry the cookie. Everything but the
package's static files (textual-serve's script, styles, font) answers 403 without it, before any
handler runs, so a refused request starts nothing. The cookie is HttpOnly and SameSite=Lax, and a
request from another page's script (an ``Origin`` that is not this server) is refused, cookie or not.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from bertui.errors import InputError

MIN_TOKEN_LENGTH = 16
OPEN_PREFIX = "/static/"
REFUSED = ("403: this bertui serve needs its token. Open the URL it printed when it started "
           "(http://…/?token=…).\n")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def checked_token(token: str) -> str:
    """A token given by hand: long enough not to be guessed, and plain enough to sit in a URL."""
    if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable() or " " in token:
        raise InputError(f"--token: at least {MIN_TOKEN_LENGTH} printable ASCII characters without spaces")
    return token


def cookie_name(port: int) -> str:
    """One per port: browsers send a host's cookies to all its ports."""
    return f"bertui-token-{port}"


def _matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


def token_gate(token: str, cookie: str):
    """aiohttp middleware: the token (in the query or the cookie) or 403."""

    @web.middleware
    async def gate(request: web.Request, handler):
        if request.path.startswith(OPEN_PREFIX):
            return await handler(request)
        if not _same_origin(request):
            return web.Response(status=403, text=REFUSED)
        if _matches(request.query.get("token"), token):
            if request.path != "/":  # a script's websocket or download: no cookie to set
                return await handler(request)
            rest = {key: value for key, value in request.query.items() if key != "token"}
            response = web.HTTPFound(request.rel_url.with_query(rest))
            response.set_cookie(cookie, token, httponly=True, samesite="Lax", path="/")
            return response
        if _matches(request.cookies.get(cookie), token):
            return await handler(request)
        return web.Response(status=403, text=REFUSED)

    return gate
