"""JSON API v1. Importing the endpoint modules registers their routes on the blueprint."""

from casemgr.api import me
from casemgr.api.blueprint import bp

__all__ = ["bp", "me"]
