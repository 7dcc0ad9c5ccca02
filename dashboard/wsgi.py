"""The WSGI application (gunicorn dashboard.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
application = get_wsgi_application()
# What was made while starting (modules, settings, URL patterns, compiled templates) lives as
# long as the process: the cycle collector stops walking it on every full collection.
gc.freeze()
