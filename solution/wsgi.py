"""The app for production servers: gunicorn -c solution/gunicorn.conf.py solution.wsgi:app"""

from __future__ import annotations

from solution import create_app

app = create_app()
