"""WSGI entry point for gunicorn (``gunicorn wxpub.wsgi:app``)."""

from wxpub import create_app
app = create_app()
