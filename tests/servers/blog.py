"""A small server-rendered web app with no API, for announce macros driven by a real browser.

Pages: ``/login`` (form: username, password, a CSRF token), ``/posts/new`` (form: title, body, a CSRF
token, a submit button whose label the test can rename), ``/posts`` (the post list, public). Sessions
are cookies; a form whose CSRF token does not match its session is refused (403), so only a browser
that really loaded the form can post. Runs in the test process on a free port (``start_blog``), once per
session; a test can hold the answer to a post (``hold_posts``) to kill an apply after the post landed.
"""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

USER, PASSWORD = "announcer", "s3cret-blog-pass"


@dataclass
class Post:
    """One published post."""

    title: str
    body: str
    author: str


@dataclass
class BlogState:
    """The app's state: sessions (id -> user, CSRF token), posts, the submit label, the hold switch."""

    sessions: dict[str, dict] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    button: str = "Publish"
    hold: threading.Event | None = None  # set: a post waits for it before answering
    posted: threading.Event = field(default_factory=threading.Event)  # set when a post was stored
    lock: threading.Lock = field(default_factory=threading.Lock)


def _page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


class BlogHandler(BaseHTTPRequestHandler):
    """The request handler; ``server.state`` is the app's ``BlogState``."""

    state: BlogState

    def log_message(self, format: str, *args) -> None:  # quiet
        return

    def _session(self) -> tuple[str | None, dict | None]:
        jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
        sid = jar["sid"].value if "sid" in jar else None
        return sid, self.server.state.sessions.get(sid) if sid else None

    def _send(self, code: int, body: bytes = b"", headers: dict | None = None) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser was killed while we held the answer

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

    def do_GET(self) -> None:
        state: BlogState = self.server.state
        sid, session = self._session()
        if self.path == "/login":
            sid = secrets.token_hex(16)
            state.sessions[sid] = {"user": None, "csrf": secrets.token_hex(16)}
            csrf = state.sessions[sid]["csrf"]
            form = (
                '<form method="post" action="/login">'
                f'<input type="hidden" name="csrf" value="{csrf}">'
                '<label>User <input id="username" name="username"></label>'
                '<label>Password <input id="password" name="password" type="password"></label>'
                '<button id="login" type="submit">Log in</button></form>'
            )
            return self._send(200, _page("Log in", form), {"Set-Cookie": f"sid={sid}; Path=/; HttpOnly"})
        if self.path == "/posts/new":
            if not session or not session["user"]:
                return self._send(303, b"", {"Location": "/login"})
            form = (
                '<form method="post" action="/posts">'
                f'<input type="hidden" name="csrf" value="{session["csrf"]}">'
                '<label>Title <input id="title" name="title"></label>'
                '<label>Body <textarea id="body" name="body"></textarea></label>'
                f'<button type="submit">{html.escape(state.button)}</button></form>'
            )
            return self._send(200, _page("New post", form))
        if self.path in ("/posts", "/"):
            items = "".join(
                f'<li class="post"><h2>{html.escape(p.title)}</h2><pre>{html.escape(p.body)}</pre></li>'
                for p in state.posts
            )
            who = f"<p>Logged in as {html.escape(session['user'])}</p>" if session and session["user"] else ""
            return self._send(200, _page("Posts", f'{who}<ul id="posts">{items}</ul>'))
        return self._send(404, _page("Not found", ""))

    def do_POST(self) -> None:
        state: BlogState = self.server.state
        _sid, session = self._session()
        form = self._form()
        if not session or form.get("csrf") != session["csrf"]:
            return self._send(403, _page("Forbidden", "<p>bad CSRF token</p>"))
        if self.path == "/login":
            if form.get("username") == USER and form.get("password") == PASSWORD:
                session["user"] = USER
                return self._send(303, b"", {"Location": "/posts/new"})
            return self._send(200, _page("Log in", '<p class="error">wrong user or password</p>'))
        if self.path == "/posts" and session["user"]:
            with state.lock:
                state.posts.append(Post(form.get("title", ""), form.get("body", ""), session["user"]))
            state.posted.set()
            if state.hold is not None:
                state.hold.wait(120)
            return self._send(303, b"", {"Location": "/posts"})
        return self._send(403, _page("Forbidden", ""))


class BlogServer(ThreadingHTTPServer):
    """The app on 127.0.0.1 and a free port, serving from a daemon thread; ``url`` is its base URL."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), BlogHandler)
        self.state = BlogState()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True, name="blog")

    def __enter__(self) -> BlogServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.state.hold is not None:
            self.state.hold.set()
        self.shutdown()
        self.server_close()

    def reset(self) -> None:
        """Forget posts and sessions; the submit button says Publish again; nothing held."""
        with self.state.lock:
            self.state.posts.clear()
        self.state.sessions.clear()
        self.state.button = "Publish"
        self.state.hold = None
        self.state.posted.clear()

    def titles(self) -> list[str]:
        """The titles of every post, oldest first."""
        with self.state.lock:
            return [p.title for p in self.state.posts]
