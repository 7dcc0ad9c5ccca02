"""The session store: Django's database sessions, read by one plain SQL statement.

Every signed-in request reads its session first; the ORM's `.get()` spent most of that read
building the query (dashboard/sql.py). Writing, creating, expiring and deleting sessions are
Django's own code, unchanged.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.utils import timezone

from dashboard.sql import select_one


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        # The same row Django's store reads: this key, not yet expired. A key that is not a
        # session's (forged, expired, deleted) starts a new, empty session, as Django's does.
        session = select_one(
            self.model, session_key=self.session_key, expire_date__gt=timezone.now()
        )
        if session is None:
            self._session_key = None
        return session
