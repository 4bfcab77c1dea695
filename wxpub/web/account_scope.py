"""Limits each request to the accounts its user may see (``wxpub.accounts.scope``).

Set once the user is known: for a browser session before the views run, for an API token when
``bearer_login`` has authenticated it. Lifted again when the request ends.
"""

from __future__ import annotations

from flask import Flask, g

from wxpub.accounts import scope


def apply_for(user) -> None:
    """Limit the rest of this request to what ``user`` may see."""
    from wxpub.web import db_session
    ids = scope.visible_ids(db_session(), user)  # the request's own session: no second connection
    _lift()
    g.visible_accounts = ids
    g.account_scope_tokens = [scope.set_limit(ids)]


def narrow_to(key: str):
    """Show only the account ``key`` (code, name or AppID) for the rest of the request — one the
    user may see; returns it, or None when there is no such account for them (the caller answers
    404). The dashboard's ``?account=`` uses it: every figure then counts that account alone."""
    from wxpub.accounts import registry
    from wxpub.core.errors import NotFound
    from wxpub.web import db_session
    try:
        account = registry.find(db_session(), key)  # within the user's own limit already
    except NotFound:
        return None
    g.account_scope_tokens = [*g.get("account_scope_tokens", []), scope.set_limit(frozenset({account.id}))]
    return account


def _lift() -> None:
    for token in reversed(g.pop("account_scope_tokens", [])):
        try:
            scope.reset(token)
        except ValueError:  # set in another context (cannot happen in one request): nothing to undo
            pass


def init_app(app: Flask) -> None:
    """Set the limit before every request of a signed-in user; lift it at the end."""
    @app.before_request
    def _limit():
        from flask_login import current_user
        if current_user.is_authenticated:
            apply_for(current_user)

    @app.teardown_request
    def _unlimit(_exc):
        _lift()
