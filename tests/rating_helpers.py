"""Shared set-up for the 评选 tests: the sample series with one chapter published through the
sandbox, 评审专家 accounts, a round over the published cases and experts' sheets."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from publishing_helpers import SERIES, apply_and_approve, make_due, plan_file
from servers import advance_sandbox_clock
from wxpub.models import Article, Release, User
from wxpub.rating import rounds, sheets
from wxpub.staff import users

EXPERT_PASSWORD = "Pingshen-2026-ok!"
OFFICE_USER = "bianji"
_HASH: dict[str, str] = {}


def published(rt, tmp_path, sandbox):
    """Two chapters (市场环境, 政务环境) published through the sandbox, the third (法治环境) only
    planned; returns ``(releases, [(case id, article id)] of what went out, in order)``."""
    from wxpub.publishing import pipeline

    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境", "政务环境", "法治环境"),
                                          start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, ids[:2])
    for release_id in ids[:2]:
        assert pipeline.run_release(rt, release_id, worker="test-host:1",
                                    sleep=lambda s: advance_sandbox_clock(sandbox, s)) == "published"
    went_out = []
    with rt.db.session() as s:
        releases = [s.get(Release, i) for i in ids[:2]]
        for release in releases:
            articles = s.scalars(select(Article).where(Article.message_version_id == release.sent_version_id)
                                 .order_by(Article.idx)).all()
            went_out += [(int(c), a.id) for a in articles for c in a.case_ids]
        for release in releases:
            s.expunge(release)
    assert len(went_out) >= 3, went_out
    return releases, went_out


def make_users(rt, accounts: dict) -> None:
    """Accounts ``{username: (display name, role)}`` with ``EXPERT_PASSWORD`` (hashed once)."""
    with rt.db.session() as s:
        for username, (name, role) in accounts.items():
            if s.scalar(select(User).where(User.username == username)) is not None:
                continue
            if "hash" not in _HASH:
                row = users.create_user(s, username, EXPERT_PASSWORD, role, now=rt.clock.now(), actor="测试",
                                        display_name=name)
                _HASH["hash"] = row.password_hash
            else:
                s.add(User(username=username, display_name=name, role=role, password_hash=_HASH["hash"],
                           created_at=rt.clock.now(), password_changed_at=rt.clock.now()))
                s.commit()


EXPERTS = {"zhuanjia1": ("陈教授", "expert"), "zhuanjia2": ("林研究员", "expert"),
           "zhuanjia3": ("黄处长", "expert"), "zhuanjia4": ("吴律师", "expert"),
           "zhuanjia5": ("郑会计师", "expert")}
OFFICE = {OFFICE_USER: ("王编辑", "editor"), "zhongshen": ("张主任", "approver"), "jiaodui": ("赵校对", "proofreader")}


def new_round(rt, *, experts=(), days: float = 7, **options) -> int:
    """A round over the series' published cases with these 评审专家 usernames on its panel."""
    with rt.db.session() as s:
        rnd = rounds.create_round(s, series=SERIES, name=options.pop("name", "2023年度优秀案例评选"),
                                  deadline=rt.clock.now() + timedelta(days=days), actor=OFFICE_USER,
                                  now=rt.clock.now(), **options)
        for username in experts:
            rounds.add_expert(s, rnd.id, username=username, actor=OFFICE_USER, now=rt.clock.now())
        return rnd.id


def expert_id(rt, round_id: int, username: str) -> int:
    with rt.db.session() as s:
        return rounds.expert_of_user(s, round_id, username).id


def case_ids(rt, round_id: int) -> dict[int, int]:
    """``{case id: rating case id}`` in the round's order."""
    with rt.db.session() as s:
        return {c.case_id: c.id for c in rounds.cases_of(s, round_id)}


def fill(rt, expert: int, round_id: int, marks: dict, *, submit: bool = True) -> None:
    """Score every case: ``marks`` is ``{case id: {criterion: score} | "conflict"}``."""
    ids = case_ids(rt, round_id)
    with rt.db.session() as s:
        for case_id, scores in marks.items():
            if scores == "conflict":
                sheets.save_entry(s, expert, ids[case_id], scores={}, conflict=True, actor="专家", now=rt.clock.now())
            else:
                sheets.save_entry(s, expert, ids[case_id], scores=scores, actor="专家", now=rt.clock.now())
        if submit:
            sheets.submit_sheet(s, expert, actor="专家", now=rt.clock.now())


def marks(*values) -> dict:
    """The four default criteria's scores, in order."""
    return dict(zip(("创新性", "实效性", "可复制推广性", "示范带动性"), values))
