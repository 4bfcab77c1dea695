"""What the editorial desk's pages share (series, library, import, editor, composer, notices).

Pages are plain forms: POST → one service function → redirect → a flashed message (``done`` /
``failed``). ``editor_only`` guards the views that change the library: everyone logged in may look,
only editors (and admins) may change. The header shows how many unread notices a person has.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash
from flask_login import current_user

from wxpub.web import db_session, runtime

EDIT_ROLES = ("editor",)


def login_only(view):
    """The view needs a logged-in member of staff (the login page otherwise)."""
    from wxpub.web.auth import login_manager

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)
    return wrapped


def editor_only(view):
    """The view changes the library: editors and admins only (others get the 403 page)."""
    from wxpub.staff.users import has_role

    @wraps(view)
    @login_only
    def wrapped(*args, **kwargs):
        if not has_role(current_user, *EDIT_ROLES):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def can_edit() -> bool:
    """True when the current person may change the library (for showing or hiding forms)."""
    from wxpub.staff.users import has_role
    return current_user.is_authenticated and has_role(current_user, *EDIT_ROLES)


def actor() -> str:
    """Who is acting (the logged-in username), for the services and the audit log."""
    return current_user.username


def now():
    """The runtime clock's current time (UTC)."""
    return runtime().clock.now()


def tz():
    """The office's timezone (Asia/Shanghai)."""
    return runtime().settings.tz


def done(message: str) -> None:
    """Flash a success message for the next page."""
    flash(message, "ok")


def failed(error: Exception) -> None:
    """Flash a service's error (its Chinese message) for the next page."""
    flash(str(error), "error")


def header_counts(user) -> tuple[int, int]:
    """``(unread notices, 我的待办 items)`` of ``user`` for the page header. The 我的待办 count
    (``wxpub.editorial.todo``, several queries) is computed again only when something it depends on
    changed (``wxpub.web.page_marks``); per process, per person and role."""
    from wxpub.editorial import todo
    from wxpub.stats import cache
    from wxpub.web import page_marks
    policy = runtime().settings.review_policy
    counts = cache.for_runtime(runtime(), "header todo counts", 256)
    waiting = counts.get(page_marks.reviews(), (user.username, user.role),
                         lambda: todo.count(db_session(), user, policy))
    return page_marks.unread_notices(), waiting


def init_app(app) -> None:
    """The notice count and the 我的待办 count in every page's header, for a logged-in person."""
    @app.context_processor
    def _notice_count():
        if not current_user.is_authenticated:
            return {}
        notices, waiting = header_counts(current_user)
        return {"notice_count": notices, "review_count": waiting, "can_edit": can_edit()}
