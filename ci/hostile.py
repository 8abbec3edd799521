#!/usr/bin/env python3
"""Sends a running generated app what a hostile visitor would, and fails on any answer that shows
the app lost its footing: a 5xx, internal text in a body (a parser's or the database's message,
a panic), a payload echoed back as markup, or a panic in the app's log.

    python3 ci/hostile.py BASE_URL LOG_FILE ROUTES_FILE

BASE_URL is the app (development, plain HTTP); LOG_FILE its log; ROUTES_FILE the output of its
`routes` command. The environment may name accounts made beforehand (ci/hostile.sh makes them):
USER_EMAIL and USER_PASSWORD, ADMIN_EMAIL and ADMIN_PASSWORD. Standard library only.
"""

import http.client
import http.cookiejar
import os
import re
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE, LOG_FILE, ROUTES_FILE = sys.argv[1:4]
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
ROUTES = open(ROUTES_FILE, encoding="utf-8").read()
ACCOUNTS = "/login" in ROUTES

# Text that belongs in a log, never in a response.
INTERNAL = re.compile(
    r"panicked|stack backtrace|called `(Option|Result)::unwrap|RUST_BACKTRACE|sqlx|sea_orm|DbErr"
    r"|SQLITE_|no such table|syntax error at|violates (unique|foreign key)|Failed to deserialize"
    r"|Failed to parse|Invalid URL|missing field|invalid type:|tokio::|hyper::|axum::rejection"
    r"|\.rs:\d+",
    re.IGNORECASE,
)

# Text a visitor types, which must come back escaped if it comes back at all.
PAYLOADS = [
    "</textarea><img src=x onerror=alert(1)>",
    "</title><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<div hx-post=\"/logout\" hx-trigger=\"load\">",
    "'><svg onload=alert(1)>",
]

failures = []
sent = 0
dropped = 0


def fail(message):
    failures.append(message)
    print(f"  FAIL {message}")


def judge(what, status, body):
    """The checks every answer must pass."""
    global sent
    sent += 1
    if status >= 500:
        fail(f"{what}: {status}")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found = INTERNAL.search(text)
    if found:
        fail(f"{what}: internal text in the body: {found.group(0)!r}")
    for payload in PAYLOADS:
        if payload in text:
            fail(f"{what}: a payload came back as markup: {payload!r}")


class Visitor:
    """A browser: cookies kept, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, name):
        self.name = name
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), Visitor.NoRedirect()
        )

    def request(self, method, path, body=None, headers=None, judge_it=True):
        request = urllib.request.Request(BASE + path, data=body, method=method)
        request.add_header("accept", "text/html")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException) as error:
            # The server closed the connection on a body it refused (413): nothing to judge.
            global dropped
            dropped += 1
            return 0, str(error).encode()
        if judge_it:
            judge(f"{self.name} {method} {path[:80]}", status, payload)
        return status, payload

    def token(self, path="/contact"):
        _, page = self.request("GET", path, judge_it=False)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        return match.group(1).decode() if match else ""

    def post_form(self, path, fields, form_page="/contact", headers=None):
        body = urllib.parse.urlencode({"csrf_token": self.token(form_page), **fields}).encode()
        headers = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body, headers)

    def sign_in(self, email, password):
        status, _ = self.post_form("/login", {"email": email, "password": password}, "/login")
        if status != 303:
            fail(f"{self.name}: could not sign in as {email} ({status})")


def raw(request_bytes, what):
    """Sends bytes as they are, below any HTTP library, and judges the answer."""
    with socket.create_connection((HOST, PORT), timeout=30) as connection:
        connection.sendall(request_bytes)
        chunks = []
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
    response = b"".join(chunks)
    status_line = response.split(b"\r\n", 1)[0]
    match = re.match(rb"HTTP/1\.[01] (\d{3})", status_line)
    # A connection closed without an answer is the server refusing garbage: fine.
    status = int(match.group(1)) if match else 400
    judge(f"raw {what}", status, response)


def get_paths():
    """Every GET route, its parameters filled in with hostile values."""
    paths = []
    for line in ROUTES.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0] != "GET":
            continue
        path = parts[1]
        if "{" not in path:
            paths.append(path)
            continue
        for value in ["0", "-1", "99999999999999999999999", "..%2F..%2Fetc%2Fpasswd", "%00", "%FF", "a" * 2000]:
            paths.append(re.sub(r"\{[a-z_]+\}", value, path))
    return paths


def main():
    anonymous = Visitor("anonymous")
    visitors = [anonymous]
    if ACCOUNTS and os.environ.get("USER_EMAIL"):
        user = Visitor("user")
        user.sign_in(os.environ["USER_EMAIL"], os.environ["USER_PASSWORD"])
        visitors.append(user)
    if ACCOUNTS and os.environ.get("ADMIN_EMAIL"):
        admin = Visitor("admin")
        admin.sign_in(os.environ["ADMIN_EMAIL"], os.environ["ADMIN_PASSWORD"])
        visitors.append(admin)

    paths = get_paths()
    queries = [
        "?page=18446744073709551615",
        "?page=737869762948382065&per_page=0",
        "?sort=--email&q=%00",
        "?q=%FF%FE",
        "?token=" + "A" * 5000,
        "?next=//evil.example",
        "?next=%2F%5Cevil.example",
        "?" + "&".join(f"a{i}=b" for i in range(500)),
        "?q=" + urllib.parse.quote(PAYLOADS[0]),
        "?is_admin=maybe",
    ]
    for visitor in visitors:
        for path in paths:
            visitor.request("GET", path)
            visitor.request("HEAD", path)
            for method in ["PUT", "DELETE", "PATCH", "OPTIONS"]:
                visitor.request(method, path)
        for path in ["/", "/login", "/admin/users", "/contact", "/reset-password", "/verify-email"]:
            for query in queries:
                visitor.request("GET", path + query)

    # Signing out last: the visitors stay who they are for the rest.
    post_paths = sorted(
        {line.split()[1] for line in ROUTES.splitlines() if line.startswith("POST")},
        key=lambda path: (path == "/logout", path),
    )
    for visitor in visitors:
        for path in post_paths:
            path = (path.replace("{resource}", "users").replace("{id}", "2")
                    .replace("{action}", "verify").replace("{key}", "no-such-file"))
            # No token, a wrong one, another site's request, a body that is not a form.
            visitor.request("POST", path, b"", {"content-type": "application/x-www-form-urlencoded"})
            visitor.request("POST", path, b"csrf_token=forged", {"content-type": "application/x-www-form-urlencoded"})
            visitor.request("POST", path, b"a=b", {"sec-fetch-site": "cross-site", "origin": "https://evil.example"})
            visitor.request("POST", path, b"csrf_token=" + visitor.token().encode() + b"&x=%FF%FE%zz&&==",
                            {"content-type": "application/x-www-form-urlencoded"})
            visitor.request("POST", path, b'{"a": 1}', {"content-type": "application/json"})
            visitor.request("POST", path, b"--x\r\nbroken", {"content-type": "multipart/form-data; boundary=x"})
            visitor.request("POST", path + "?csrf_token=" + visitor.token(),
                            b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\x89PNG",
                            {"content-type": "multipart/form-data; boundary=x"})
            # A body far over the limit.
            visitor.request("POST", path, b"a=" + b"x" * (9 * 1024 * 1024),
                            {"content-type": "application/x-www-form-urlencoded"})
            # A NUL character, which Postgres refuses in text, in every field.
            visitor.post_form(path, {name: "a\x00b" for name in ["name", "email", "message", "password", "token", "q"]})
            # Every payload in every field the forms have.
            for payload in PAYLOADS:
                fields = {name: payload for name in ["name", "email", "message", "password", "current_password",
                                                     "new_password", "token", "next", "q", "remember"]}
                visitor.post_form(path, fields)

    # Below the HTTP libraries: what a scanner sends.
    raw(b"GET /%FF%FE HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", "bad UTF-8 in the path")
    raw(b"GET /static/../Cargo.toml HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", "dot segments")
    raw(b"GET /static/%2e%2e/%2e%2e/Cargo.toml HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", "encoded dot segments")
    raw(b"GET /files/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", "traversal in a key")
    raw(b"GET / HTTP/1.1\r\nhost: x\r\nx-huge: " + b"a" * 70000 + b"\r\nconnection: close\r\n\r\n", "a huge header")
    raw(b"GET / HTTP/1.1\r\nhost: \xff\xfe\r\nconnection: close\r\n\r\n", "a bad Host")
    raw(b"GET / HTTP/1.1\r\nhost: x\r\nx-request-id: <script>\r\nconnection: close\r\n\r\n", "a hostile request id")
    raw(b"GET / HTTP/1.1\r\nhost: x\r\ncookie: session=" + b"A" * 4000 + b"; csrf=%FF\r\nconnection: close\r\n\r\n", "forged cookies")
    raw(b"POST /contact HTTP/1.1\r\nhost: x\r\ncontent-length: 999999999999\r\nconnection: close\r\n\r\nabc", "a lying length")
    raw(b"POST /contact HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-type: application/x-www-form-urlencoded\r\nconnection: close\r\n\r\nzz\r\n", "bad chunks")
    raw(b"GARBAGE / HTTP/9.9\r\n\r\n", "an unknown method and version")
    raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "TLS to a plain port")

    log = open(LOG_FILE, encoding="utf-8", errors="replace").read()
    if "panicked" in log:
        fail("the app's log shows a panic")

    print(f"\nsent {sent} hostile requests ({dropped} bodies refused by closing the connection): "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
