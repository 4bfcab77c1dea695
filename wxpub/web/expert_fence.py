"""A 评审专家 (role ``expert``) reaches only the 评选 pages: their sheets, their own password and
profile, the rating API. Every other page of the office (the library, releases, the dashboard …)
answers 403 for them, whatever address they type."""

from __future__ import annotations

from flask import Flask, abort, request

EXPERT_PATHS = ("/rate/", "/static/", "/login", "/logout", "/password", "/profile", "/healthz",
                "/api/v1/rating-rounds", "/api/v1/csrf-token", "/api/v1/openapi.json", "/api/docs")


def init_app(app: Flask) -> None:
    """Refuse an expert any page outside ``EXPERT_PATHS``."""
    @app.before_request
    def _experts_rate_only():
        from flask_login import current_user
        if getattr(current_user, "role", None) == "expert" and request.path not in ("/", "/workbench", "/rate") \
                and not request.path.startswith(EXPERT_PATHS):
            abort(403)
