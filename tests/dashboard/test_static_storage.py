"""Outside DEBUG a static file's URL is its hashed name, worked out once per process."""

from __future__ import annotations

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from dashboard.storage import StaticStorage


@pytest.fixture
def collected(tmp_path):
    """A STATIC_ROOT as collectstatic leaves it: one file and its hashed copy in the manifest."""
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.0123456789ab.css").write_text("body {}")
    manifest = {"paths": {"css/app.css": "css/app.0123456789ab.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return {"location": str(tmp_path), "base_url": "/static/"}


def test_the_url_is_whitenoises_and_stays_the_same(collected):
    storage = StaticStorage(**collected)

    first = storage.url("css/app.css")

    assert first == "/static/css/app.0123456789ab.css"
    assert first == CompressedManifestStaticFilesStorage(**collected).url("css/app.css")
    storage.hashed_files.clear()  # the manifest is not read again for a name already served
    assert storage.url("css/app.css") == first


def test_a_file_that_was_not_collected_still_refuses_every_time(collected):
    storage = StaticStorage(**collected)

    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
