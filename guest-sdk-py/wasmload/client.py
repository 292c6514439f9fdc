"""``self.client``: Locust's ``HttpSession`` over wasmload's brokered HTTP.

Requests go to the host, which sends them on this user's own connection, keeps its
cookies, follows redirects, and times and records each one.
"""

import json as _json
import random as _random
from datetime import timedelta
from urllib.parse import urlencode

from componentize_py_types import Err
from wit_world.imports import http, session, types

from .exceptions import ResponseError, Unsupported
from .headers import CaseInsensitiveDict, DefaultHeaders

_METHODS = {
    "GET": types.Method_Get,
    "HEAD": types.Method_Head,
    "POST": types.Method_Post,
    "PUT": types.Method_Put,
    "PATCH": types.Method_Patch,
    "DELETE": types.Method_Delete,
    "OPTIONS": types.Method_Options,
}

_IGNORED = {"verify", "cert", "stream", "proxies"}


class Cookies:
    """The user's cookie jar, which the host keeps; scripts can only empty it."""

    def clear(self):
        """Forgets every cookie this user has received."""
        session.clear_cookies()


class Response:
    """A response, read in full: Locust's (and requests') fields."""

    def __init__(self, url, status_code, headers, content, elapsed_us, error=None):
        self.url = url
        self.status_code = status_code
        self.headers = CaseInsensitiveDict(headers)
        self.content = content
        self.elapsed = timedelta(microseconds=elapsed_us)
        self.error = error
        self.encoding = "utf-8"

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code < 400

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    def json(self, **kwargs):
        """The body parsed as JSON."""
        return _json.loads(self.content, **kwargs)

    def raise_for_status(self):
        """Raises ``ResponseError`` for a failed request or a status of 400 or more."""
        if self.error is not None:
            raise ResponseError(self.error)
        if self.status_code >= 400:
            raise ResponseError(f"{self.status_code} for url: {self.url}")

    def success(self):
        raise Unsupported("response.success() without catch_response=True",
                          "pass catch_response=True to the request")

    def failure(self, _message=None):
        raise Unsupported("response.failure() without catch_response=True",
                          "pass catch_response=True to the request")

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False


class ResponseContextManager(Response):
    """A response of ``catch_response=True``: the script decides its outcome in a ``with``."""

    def __init__(self, handle, url, *fields, **kwargs):
        super().__init__(url, *fields, **kwargs)
        self._handle = handle

    def success(self):
        """Records this response as a success, whatever its status."""
        if self._handle is not None:
            self._handle.success()

    def failure(self, message=None):
        """Records this response as a failure with ``message``."""
        if self._handle is not None:
            self._handle.failure(str(message) if message is not None else "failure")

    def __exit__(self, exc_type, exc, _traceback):
        suppress = False
        if isinstance(exc, ResponseError):
            self.failure(exc)
            suppress = True
        if self._handle is not None:
            self._handle.__exit__(None, None, None)
            self._handle = None
        return suppress


class HttpSession:
    """Locust's ``self.client``: ``get``/``post``/... with ``name=``, ``params=``, ``json=``,
    ``data=``, ``files=``, ``headers=``, ``timeout=`` and ``catch_response=``."""

    def __init__(self):
        self.headers = DefaultHeaders()
        self.cookies = Cookies()

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def head(self, url, **kwargs):
        return self.request("HEAD", url, **kwargs)

    def options(self, url, **kwargs):
        return self.request("OPTIONS", url, **kwargs)

    def request(self, method, url, name=None, params=None, json=None, data=None, files=None,
                headers=None, catch_response=False, timeout=None, allow_redirects=True,
                auth=None, cookies=None, **others):
        """Sends one request through the host and returns its response, read in full."""
        unknown = sorted(set(others) - _IGNORED)
        if unknown:
            raise Unsupported(f"the request argument {unknown[0]}=")
        if not allow_redirects:
            raise Unsupported("Locust's allow_redirects=False", "wasmload follows redirects as browsers do")
        if auth is not None or cookies is not None:
            raise Unsupported("Locust's auth= and cookies= on a request",
                              "set self.client.headers; the host keeps cookies")
        pairs = [(str(k), str(v)) for k, v in (headers or {}).items()]
        body = _body(json, data, files, pairs)
        request = types.Request(
            method=_method(method),
            url=url,
            query=_query(params),
            headers=pairs,
            body=body,
            name=name,
            timeout_ms=None if timeout is None else int(_seconds(timeout) * 1000),
        )
        try:
            handle = http.send(request)
        except Err as err:
            message = _error_text(err.value)
            if catch_response:
                return ResponseContextManager(None, url, 0, [], b"", 0, error=message)
            return Response(url, 0, [], b"", 0, error=message)
        fields = (handle.status(), handle.headers(), handle.body(), handle.elapsed_us())
        if catch_response:
            return ResponseContextManager(handle, url, *fields)
        handle.__exit__(None, None, None)
        return Response(url, *fields)


def _method(name):
    kind = _METHODS.get(name.upper())
    return kind() if kind else types.Method_Other(name.upper())


def _seconds(timeout):
    return max(timeout) if isinstance(timeout, tuple) else float(timeout)


def _query(params):
    if params is None:
        return []
    items = params.items() if hasattr(params, "items") else params
    pairs = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(key), _text(v)) for v in values if v is not None)
    return pairs


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _has(pairs, name):
    return any(key.lower() == name for key, _ in pairs)


def _body(json, data, files, pairs):
    """The request body, and its ``Content-Type`` added to ``pairs`` when the script set none."""
    if files:
        content_type, body = _multipart(data or {}, files)
    elif json is not None:
        content_type, body = "application/json", _json.dumps(json).encode()
    elif isinstance(data, (dict, list, tuple)):
        content_type, body = "application/x-www-form-urlencoded", urlencode(data, doseq=True).encode()
    elif data is not None:
        return data.encode() if isinstance(data, str) else bytes(data)
    else:
        return None
    if not _has(pairs, "content-type"):
        pairs.append(("Content-Type", content_type))
    return body


def _multipart(data, files):
    """A ``multipart/form-data`` body as ``requests`` writes it: ``data`` fields, then files."""
    boundary = "%032x" % _random.getrandbits(128)
    parts = []
    fields = data.items() if hasattr(data, "items") else data
    for name, value in fields:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            parts.append((name, None, None, _bytes(item)))
    items = files.items() if hasattr(files, "items") else files
    for name, spec in items:
        if isinstance(spec, (list, tuple)):
            filename, content = spec[0], spec[1]
            content_type = spec[2] if len(spec) > 2 else None
        else:
            filename, content, content_type = getattr(spec, "name", name), spec, None
        parts.append((name, filename, content_type, _bytes(content)))
    out = bytearray()
    for name, filename, content_type, content in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += disposition.encode() + b"\r\n"
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(out)


def _bytes(content):
    if hasattr(content, "read"):
        content = content.read()
    if isinstance(content, str):
        return content.encode()
    return bytes(content)


def _error_text(error):
    if isinstance(error, types.HttpError_Timeout):
        return "timeout"
    kind = type(error).__name__.split("_", 1)[-1].lower()
    return f"{kind}: {getattr(error, 'value', '')}"
