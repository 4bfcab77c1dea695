"""Who sees what: a staff member limited to some accounts sees only their rows, everywhere.

The web app sets the visible accounts for the request (``limit``), and every ORM SELECT made in
that context — pages, exports, the JSON API, services opening their own sessions — gets
``with_loader_criteria`` for each table that belongs to an account: releases, stored plans,
statistics, readers' comments, the accounts themselves, and alerts about releases. A row of
another account is then simply not there (a 404, an empty list, a total without it), so no page
can forget the filter. Outside a limited request (the scheduler, commands, unlimited staff)
nothing is filtered.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from wxpub.models import (Account, Alert, CommentAction, CommentArticle, ReaderComment, Release,
                          ReleasePlan, StatArticle, StatArticleDaily, StatBizDaily, StatPull,
                          User, UserAccount)

_visible: ContextVar[frozenset[int] | None] = ContextVar("wxpub_visible_accounts", default=None)


def visible_ids(session: Session, user) -> frozenset[int] | None:
    """The accounts ``user`` (a ``User`` row or the signed-in staff member: anything with
    ``username`` and ``role``) is limited to (None: every account; admins are never limited)."""
    if user is None or getattr(user, "role", "") == "admin" or getattr(user, "limited", None) is False:
        return None  # (``limited``: the signed-in user's flag, read with their session: no query)
    ids = frozenset(session.scalars(select(UserAccount.account_id).join(User, User.id == UserAccount.user_id)
                                    .where(User.username == user.username)))
    return ids or None


def current() -> frozenset[int] | None:
    """The accounts visible in this context (None: no limit)."""
    return _visible.get()


def set_limit(ids: frozenset[int] | None):
    """Limit this context to ``ids`` (None lifts the limit); returns the token for ``reset``."""
    return _visible.set(ids)


def reset(token) -> None:
    """Undo ``set_limit``."""
    _visible.reset(token)


@contextmanager
def limited(ids: frozenset[int] | None):
    """``with limited({1}): …`` — the block sees only account 1's rows."""
    token = _visible.set(None if ids is None else frozenset(ids))
    try:
        yield
    finally:
        _visible.reset(token)


def _criteria(ids: frozenset[int]) -> list:
    allowed = tuple(ids)
    articles = select(CommentArticle.id).where(CommentArticle.account_id.in_(allowed))
    msgids = select(StatArticle.msgid).where(StatArticle.account_id.in_(allowed))
    return [
        with_loader_criteria(Account, Account.id.in_(allowed), include_aliases=True),
        with_loader_criteria(Release, Release.account_id.in_(allowed), include_aliases=True),
        with_loader_criteria(ReleasePlan, ReleasePlan.account_id.in_(allowed), include_aliases=True),
        with_loader_criteria(CommentArticle, CommentArticle.account_id.in_(allowed), include_aliases=True),
        with_loader_criteria(ReaderComment, ReaderComment.article_id.in_(articles), include_aliases=True),
        with_loader_criteria(CommentAction, CommentAction.article_id.in_(articles), include_aliases=True),
        with_loader_criteria(StatArticle, StatArticle.account_id.in_(allowed), include_aliases=True),
        with_loader_criteria(StatArticleDaily, StatArticleDaily.msgid.in_(msgids), include_aliases=True),
        with_loader_criteria(StatBizDaily, StatBizDaily.account_id.in_(allowed), include_aliases=True),
        with_loader_criteria(StatPull, or_(StatPull.account_id.in_(allowed), StatPull.account_id.is_(None)),
                             include_aliases=True),
        # Another account's alerts are not shown; those of wxpub itself (no account) are.
        with_loader_criteria(Alert, or_(Alert.account_id.is_(None), Alert.account_id.in_(allowed)),
                             include_aliases=True),
    ]


@event.listens_for(Session, "do_orm_execute")
def _filter(state: ORMExecuteState) -> None:
    ids = _visible.get()
    if ids is None or not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    state.statement = state.statement.options(*_criteria(ids))
