"""The HTTP API of ``verzuim serve`` (issue 6); see ``app.create_app`` and the README."""

from gateway.service.api.app import create_app

__all__ = ["create_app"]
