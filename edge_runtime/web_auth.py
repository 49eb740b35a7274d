"""Who may see the camera: loopback alone is open, anything else needs the access token.

A token is taken from `Authorization: Bearer T`, the page's cookie, or `?token=T` (the link
printed at start, which sets the cookie). Tokens are compared in constant time.
"""

import hmac
import ipaddress
import re
import secrets
import socket
from http import cookies
from urllib.parse import parse_qs

from edge_runtime.errors import UserInputError

COOKIE = "mnist_edge_token"
TOKEN_ENV = "MNIST_EDGE_TOKEN"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
# What a cookie and a URL carry unescaped; 16 characters or more, so it cannot be guessed.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,}")


def parse_listen(text):
    """'127.0.0.1:8080', '0.0.0.0:80', '[::1]:8080' -> (host, port); UserInputError otherwise."""
    host, separator, port = str(text).rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not separator or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UserInputError(f"--listen {text}: expected ADDRESS:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


def is_loopback(host):
    """True when every address `host` resolves to is a loopback address (127.0.0.0/8, ::1)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UserInputError(f"--listen {host}: cannot resolve this address ({error.strerror})") from None
    return all(ipaddress.ip_address(address[4][0].split("%")[0]).is_loopback for address in found)


def choose_token(host, token=None, require_token=False):
    """(token or None, True when generated here): off loopback a token is never optional."""
    if token:
        if not TOKEN_PATTERN.fullmatch(token):
            raise UserInputError("--token: use at least 16 letters, digits, '-', '_', '.' or '~'")
        return token, False
    if is_loopback(host) and not require_token:
        return None, False
    return secrets.token_urlsafe(18), True


def same(given, token):
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("utf-8"))


def tokens_offered(headers, query):
    """Every token the request carries: bearer header, cookie, ?token=."""
    offered = []
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        offered.append(value.strip())
    jar = cookies.SimpleCookie()
    try:
        jar.load(headers.get("Cookie") or "")
    except cookies.CookieError:
        pass  # a malformed cookie header offers nothing
    if COOKIE in jar:
        offered.append(jar[COOKIE].value)
    offered += parse_qs(query).get("token", [])
    return offered


class Access:
    """The decision for one server: open (loopback, no token) or token required."""

    def __init__(self, token=None):
        self.token = token

    def allows(self, headers, query):
        if self.token is None:
            return True
        return any(same(given, self.token) for given in tokens_offered(headers, query))

    def host_allowed(self, host_header):
        """Without a token only names of this machine's loopback may be asked for: a web page
        that rebinds its own domain to 127.0.0.1 (DNS rebinding) cannot read the camera."""
        if self.token is not None:
            return True
        return host_name(host_header or "") in LOOPBACK_NAMES

    def cookie_header(self):
        return f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"


def host_name(host_header):
    """'localhost:8080' -> 'localhost', '[::1]:8080' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header
