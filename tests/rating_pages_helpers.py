"""An office for the 评选 page tests: the responsive_site office with its planned chapter published
(its sent version's articles carry the chapter's cases), and 评审专家 accounts. Nothing here is used
by the product."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

import responsive_site
from wxpub.models import Case, Message, Release, Series, StatArticle, User

EXPERTS = {"zhuanjia": ("周教授", "expert"), "zhuanjia2": ("吴研究员", "expert")}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def build(rt, tmp_path) -> dict:
    """The office, one release published (as a pull leaves it), two expert accounts; the ids."""
    ids = responsive_site.build(rt, tmp_path)
    with rt.db.session() as s:
        release = s.get(Release, ids["release"])
        message = s.get(Message, release.message_id)
        # The state as the publishing job leaves it (the test sets up data; it is not a transition).
        release.state = "published"
        release.sent_version_id = message.current_version_id
        release.published_at = rt.clock.now() - timedelta(days=3)
        template = s.scalar(select(User).where(User.username == "bianji"))
        for username, (name, role) in EXPERTS.items():
            s.add(User(username=username, display_name=name, role=role, password_hash=template.password_hash,
                       created_at=rt.clock.now(), password_changed_at=rt.clock.now()))
        articles = {a.idx: a for a in message.current_version.articles}
        for stat in s.scalars(select(StatArticle).where(StatArticle.release_id == release.id)):
            if stat.idx in articles:  # as the statistics pull links them
                stat.article_id = articles[stat.idx].id
        ids["article_msgids"] = {a.id: f"2247490098_{idx}" for idx, a in articles.items()}
        article_cases = [c for a in message.current_version.articles for c in a.case_ids or ()]
        ids["cases"] = [(c.id, c.unit) for c in s.scalars(select(Case).where(Case.id.in_(article_cases)))]
        ids["series_name"] = s.get(Series, release.series_id).name
        s.commit()
    return ids


def csrf(html: str) -> str:
    """The CSRF token of a page's forms."""
    return CSRF.search(html).group(1)
