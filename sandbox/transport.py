"""`SandboxAdapter`: a `requests` transport that answers from the sandbox's views in-process.

    session.mount("http://sandbox.local/", SandboxAdapter())

A PreparedRequest becomes a WSGI environ (method, decoded PATH_INFO plus the raw percent-encoded
path in RAW_URI as gunicorn passes it, query string, headers, body: bytes, text, a file or a
generator, joined), is resolved against `sandbox.urls` and handed to the view with no dashboard
middleware and no session; the view's HttpResponse comes back as a `requests.Response`.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import unquote, urlsplit

import requests
from django.core.handlers.wsgi import WSGIRequest
from django.urls import resolve
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sandbox import ids
from sandbox.errors import error_response, internal_error

URLCONF = "sandbox.urls"
log = logging.getLogger(__name__)


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    # A streaming body (generator or iterable of chunks), as requests would send it chunked.
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)


def build_environ(request: requests.PreparedRequest, prefix: str = "") -> dict:
    url = urlsplit(request.url)
    raw_path = url.path or "/"
    body = _body_bytes(request.body)
    environ = {
        "REQUEST_METHOD": request.method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(raw_path, encoding="latin-1"),  # what a WSGI server passes
        "RAW_URI": raw_path + (f"?{url.query}" if url.query else ""),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "sandbox.local",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": url.netloc or "sandbox.local",
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key == "CONTENT_TYPE":
                environ[key] = value
            continue
        environ[f"HTTP_{key}"] = value
    return environ


class SandboxAdapter(BaseAdapter):
    """Dispatch requests to the sandbox URLconf in this process (no server, no network).

    `prefix` is the part of the URL path before `/v1` that belongs to the mount, if any
    (e.g. "/sandbox" when mounted at http://127.0.0.1:8000/sandbox).
    """

    def __init__(self, prefix: str = ""):
        super().__init__()
        self.prefix = prefix.rstrip("/")

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        environ = build_environ(request)
        path = environ["PATH_INFO"]
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) :]
        django_request = WSGIRequest(environ)
        # Never Resolver404: the URLconf ends in a catch-all that matches newlines too.
        match = resolve(path, urlconf=URLCONF)
        django_request.resolver_match = match
        try:
            django_response = match.func(django_request, *match.args, **match.kwargs)
        except Exception:
            # What Django's handler would turn into a 500 page under a server: here the caller
            # gets the API's 500 body rather than the exception.
            # The route's name, not the path: a source_id in it may be an email address.
            log.exception("sandbox: %s %s failed", request.method, match.url_name or "route")
            request_id = ids.request_id()
            django_response = error_response(internal_error(), request_id)
        return self.build_response(request, django_response)

    def build_response(self, request, django_response) -> requests.Response:
        response = requests.Response()
        response.status_code = django_response.status_code
        response.reason = django_response.reason_phrase
        response.headers = CaseInsensitiveDict(dict(django_response.items()))
        if getattr(django_response, "streaming", False):
            content = b"".join(django_response.streaming_content)
        else:
            content = django_response.content
        response._content = content
        response._content_consumed = True
        response.raw = io.BytesIO(content)
        response.encoding = django_response.charset or "utf-8"
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self):
        """Nothing to release: no sockets."""
