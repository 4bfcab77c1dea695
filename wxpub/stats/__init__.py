"""Readership statistics: pulling WeChat's datacube into local history and reading it back.

Only WeChat's new 发表内容 family is pulled (data from 2025-11-01; the legacy endpoints are offline
and answer 47009). Modules: ``dates`` (pure date rules), ``parse`` (pure: answers → rows),
``store`` (idempotent upserts, msgid mapping), ``budget`` (a pull's calls planned before any is
made, checked against today's quota), ``failures`` (why a pull stopped, with WeChat's rid),
``ingest`` (the pull: plan, check, fetch, store), ``batch`` (a pull's answers, held until its one
commit), ``queries`` (aggregates for the dashboard and the CLI), ``tables`` (every dashboard table
as data), ``exports`` (CSV/XLSX), ``charts`` (inline SVG).
"""

from __future__ import annotations


def pull(runtime, since=None, progress=None, account=None):
    """Pull WeChat statistics (see ``wxpub.stats.ingest.pull``) of ``account`` (default: the
    environment's)."""
    from wxpub.stats.ingest import pull as _pull
    return _pull(runtime, since=since, progress=progress, account=account)


def pull_every_account(runtime) -> dict:
    """The scheduler's daily job: each enabled account pulled on its own token and quota, one
    after the other; one account's refusal does not stop the others. Returns {code: report or
    the StatsPullError}."""
    from wxpub.accounts import registry
    from wxpub.stats.failures import StatsPullError

    with runtime.db.session() as session:
        accounts = registry.listing(session)
        codes = [account.code for account in accounts if account.enabled]
        if not any(a.appid == runtime.settings.appid for a in accounts):
            codes.insert(0, None)  # the environment's: its pull registers it, in its one commit
    outcome = {}
    for code in codes:
        try:
            report = pull(runtime, account=code)
        except StatsPullError as error:
            report = error
        outcome[code or runtime.settings.account_code] = report
    return outcome


__all__ = ["pull", "pull_every_account"]
