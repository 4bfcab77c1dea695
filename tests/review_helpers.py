"""Shared set-up for the review-chain tests: an office of five people, a composed and planned
chapter article, and a walk through the chain by the same use case the pages call.

Modules that test the full chain are marked (the ``review_stages`` fixture then gives it)::

    pytestmark = pytest.mark.full_chain
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from publishing_helpers import import_samples, plan_file
from wxpub.core.review_policy import APPROVE, PROOFREAD
from wxpub.editorial import review
from wxpub.models import Message, Release, User
from wxpub.releases import plans as release_plans
from wxpub.staff import users

OFFICE_PASSWORD = "Shenhe-2026-ok!"
# username → (display name, role)
OFFICE = {"bianji": ("王编辑", "editor"), "jiaodui": ("赵校对", "proofreader"),
          "jiaodui2": ("钱校对", "proofreader"), "fushen": ("李科长", "reviewer"),
          "zhongshen": ("张主任", "approver")}
# who signs what in a full walk: the stages, then three 校对 rounds by three people
STAGE_SIGNERS = {"初审": "bianji", "复审": "fushen", "终审": "zhongshen"}
PROOFREADERS = ("jiaodui", "jiaodui2", "bianji")


_HASHES: dict[str, str] = {}


def make_office(rt) -> dict:
    """The five accounts of ``OFFICE`` (created once), all with ``OFFICE_PASSWORD``.

    The first account goes through ``users.create_user``; the others are the same kind of row with
    the same password hash (scrypt is slow on purpose: hashing it once per test run keeps the suite
    quick; logins still verify it through the real form)."""
    from wxpub.models import User as UserRow

    with rt.db.session() as session:
        first = True
        for username, (name, role) in OFFICE.items():
            if session.scalar(select(User).where(User.username == username)) is not None:
                continue
            if first and "hash" not in _HASHES:
                row = users.create_user(session, username, OFFICE_PASSWORD, role, now=rt.clock.now(),
                                        actor="测试", display_name=name)
                _HASHES["hash"] = row.password_hash
            else:
                session.add(UserRow(username=username, display_name=name, role=role,
                                    password_hash=_HASHES["hash"], created_at=rt.clock.now(),
                                    password_changed_at=rt.clock.now()))
                users.record(session, actor="测试", action="user.create", username=username,
                             now=rt.clock.now(), role=role, display_name=name)  # as create_user does
                session.commit()
            first = False
    return OFFICE


def planned_message(rt, tmp_path, chapter: str = "市场环境", *, days: int = 3) -> tuple[int, int]:
    """Import the samples, plan ``chapter`` ``days`` ahead (which composes it): (message id, release id)."""
    import_samples(rt)
    path = plan_file(tmp_path, chapters=(chapter,), start=rt.clock.now() + timedelta(days=days),
                     name=f"plan-{chapter}.yaml")
    with rt.db.session() as session:
        loaded = release_plans.load(session, path, now=rt.clock.now())
        report = release_plans.apply_plan(session, loaded, settings=rt.settings, now=rt.clock.now(),
                                          actor="测试")
        [release] = report.created
        return release.message_id, release.id


def current_hash(rt, message_id: int) -> str:
    """The sha256 of the message's current version."""
    with rt.db.session() as session:
        return session.get(Message, message_id).current_version.sha256


def sign(rt, message_id: int, stage: str, by: str, decision: str = APPROVE, comment: str = "同意"):
    """One sign-off of the current version through the use case (raises what it raises)."""
    with rt.db.session() as session:
        version = session.get(Message, message_id).current_version
        return review.sign(session, message_id, version_hash=version.sha256, stage=stage,
                           decision=decision, comment=comment, by=by, now=rt.clock.now(),
                           policy=rt.settings.review_policy, tz=rt.settings.tz)


def walk(rt, message_id: int, *, through: str | None = None) -> None:
    """Sign the chain in order — 初审, 复审, three 校对 rounds, 终审 — stopping after ``through``."""
    policy = rt.settings.review_policy
    steps = [(s, STAGE_SIGNERS.get(s, "zhongshen")) for s in policy.names[:-1]]
    steps += [(PROOFREAD, PROOFREADERS[i]) for i in range(policy.proofread_rounds)]
    steps += [(policy.last.name, STAGE_SIGNERS.get(policy.last.name, "zhongshen"))]
    for stage, by in steps:
        sign(rt, message_id, stage, by, comment="已校对" if stage == PROOFREAD else "同意")
        if stage == through:
            return


def release_state(rt, release_id: int) -> str:
    with rt.db.session() as session:
        return session.get(Release, release_id).state


class Logins(dict):
    """``clients[name]`` → (test client, headers) logged in through the real form on first use."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def __missing__(self, name):
        from auth_helpers import login
        self[name] = login(self.app, name, OFFICE_PASSWORD)
        return self[name]
