"""Where static files are served from outside DEBUG: WhiteNoise's compressed, hashed-name
storage, with each file's URL worked out once per process.

The hashed names are fixed when `collectstatic` runs, before the server starts, so a file's
URL never changes while the process lives. Django's storage works it out again on every
`{% static %}`: about 50 µs each, three per page (the stylesheet, htmx, app.js).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:  # collectstatic's own use: as Django does it
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)  # a file not collected still raises
            return url
