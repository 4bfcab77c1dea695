"""The demo's review office: five accounts that walk each chapter article through the default
三审三校 chain (初审 → 复审 → 终审, three 校对 rounds by three different people), through the same
sign-off use case as the web pages."""

from __future__ import annotations

from sqlalchemy import select

from wxpub.core.review_policy import APPROVE, PROOFREAD
from wxpub.editorial import chain, phone_preview, review
from wxpub.models import Message, Release, User
from wxpub.staff import users

DEMO_STAFF_PASSWORD = "binhai-shenhe-2023"  # meets wxpub.staff.passwords
# (username, display name, role); their 微信号 are followers of the sandbox's account, so a phone
# preview sent in training arrives (``wxpub.sandbox.config.DEFAULT_FOLLOWERS``)
DEMO_STAFF = (("bianji", "王编辑", "editor"), ("jiaodui", "赵校对", "proofreader"),
              ("qianjiaodui", "钱校对", "proofreader"), ("fushen", "李科长", "reviewer"),
              ("zhongshen", "张主任", "approver"))
DEMO_WECHAT_IDS = {"bianji": "wangbianji2026", "jiaodui": "zhaojiaodui2026", "qianjiaodui": "qianjiaodui2026",
                   "fushen": "likezhang2026", "zhongshen": "zhangzhuren2026"}


def create_staff(session, *, now) -> None:
    """The demo's editor, proofreader, reviewer and approver (each account its own use case: ``users.create_user``)."""
    for username, name, role in DEMO_STAFF:
        if session.scalar(select(User).where(User.username == username)) is None:
            users.create_user(session, username, DEMO_STAFF_PASSWORD, role, now=now, display_name=name,
                              actor="demo")
            phone_preview.set_wechat_id(session, username, DEMO_WECHAT_IDS[username], actor=username, now=now)


def walk_chain(rt, release_ids: list[int]) -> int:
    """Sign every stage and 校对 round the policy asks for, for each release's current version;
    returns how many sign-offs were made."""
    policy, made = rt.settings.review_policy, 0
    by_stage = {"初审": "bianji", "复审": "fushen", "终审": "zhongshen"}
    by_role = {role: username for username, _name, role in DEMO_STAFF}
    proofreaders = ["jiaodui", "qianjiaodui", "bianji"]
    with rt.db.session() as session:
        message_ids = sorted({r.message_id for r in session.scalars(
            select(Release).where(Release.id.in_(release_ids))) if r.message_id})
    for message_id in message_ids:
        for step in policy.names[:-1] + [PROOFREAD] * policy.proofread_rounds + [policy.last.name]:
            with rt.db.session() as session:
                message = session.get(Message, message_id)
                version = message.current_version
                state = chain.state(session, version.id, policy)
                if step == PROOFREAD:
                    by = proofreaders[len(state.proofreads) % len(proofreaders)]
                else:
                    stage = policy.stage(step)
                    by = by_stage.get(step) or by_role.get(stage.roles[0], "zhongshen")
                review.sign(session, message_id, version_hash=version.sha256, stage=step,
                            decision=APPROVE, comment="同意" if step != PROOFREAD else "已校对",
                            by=by, now=rt.clock.now(), policy=policy, tz=rt.settings.tz)
                made += 1
    return made
