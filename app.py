"""Entry point for `flask --app app`."""

from casemgr import create_app

app = create_app()
