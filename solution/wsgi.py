"""The app for production servers: gunicorn -c solution/gunicorn.conf.py solution.wsgi:app

A server runs in production unless APP_ENV says otherwise, so a forgotten APP_ENV stops it
until FLASK_SECRET_KEY holds a real secret, instead of signing with the public development key.
"""

from __future__ import annotations

import os

from solution import create_app

os.environ.setdefault("APP_ENV", "production")
app = create_app()
