"""Header dictionaries: a response's (case-insensitive) and the session's defaults."""

from wit_world.imports import session


class CaseInsensitiveDict(dict):
    """Response headers by lower-cased name; repeated headers joined with ``, `` as requests does."""

    def __init__(self, pairs=()):
        super().__init__()
        for name, value in pairs:
            key = name.lower()
            super().__setitem__(key, f"{self[key]}, {value}" if key in self else value)

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(name.lower())

    def get(self, name, default=None):
        return super().get(name.lower(), default)


class DefaultHeaders(dict):
    """``self.client.headers``: every change is sent to the host, which adds them to each request."""

    def __setitem__(self, name, value):
        super().__setitem__(name, value)
        session.set_header(str(name), str(value))

    def __delitem__(self, name):
        super().__delitem__(name)
        session.remove_header(str(name))

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def pop(self, name, *default):
        if name in self:
            value = super().__getitem__(name)
            del self[name]
            return value
        if default:
            return default[0]
        raise KeyError(name)

    def clear(self):
        for name in list(self):
            del self[name]

    def setdefault(self, name, value=None):
        if name not in self:
            self[name] = value
        return super().__getitem__(name)
