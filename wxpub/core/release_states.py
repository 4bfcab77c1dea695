"""The release state model: states, pipeline steps, and the moves allowed between states.

Pure data: ``wxpub.releases.transitions.transition`` is the one function that writes a release's
state, and it refuses every move that is not in ``TRANSITIONS``.

::

    planned ──approve──▶ approved ──fire──▶ publishing ──▶ published
       ▲  ◀──approval voided──┘  │               │   └──▶ failed ──retry──▶ approved
       │                          ├──too late──▶ held ◀──┘ (before submit)
       └──────── replan ──────────┴──▶ canceled ──replan──▶ approved | planned

    failed | held | approved ──published by hand (fallback pack), link recorded──▶ manual
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a release stands (stored as its value in ``releases.state``)."""

    PLANNED = "planned"
    APPROVED = "approved"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    HELD = "held"
    FAILED = "failed"
    CANCELED = "canceled"
    MANUAL = "manual"          # published by hand in the MP web UI; its article link recorded here


class Step(StrEnum):
    """The last committed step of the publishing pipeline (``releases.step``)."""

    NONE = ""
    CLAIMED = "claimed"
    IMAGES_UPLOADED = "images_uploaded"
    DRAFTED = "drafted"
    SUBMITTED = "submitted"
    PUBLISHED = "published"


class Mode(StrEnum):
    """How a release reaches readers."""

    PUBLISH = "publish"        # 发布: no notification, no quota
    MASS_SEND = "mass_send"    # 群发: notifies followers, uses the mass-send quota


STATE_NAMES = {State.PLANNED: "待审批", State.APPROVED: "已审批待发", State.PUBLISHING: "发布中",
               State.PUBLISHED: "已发布", State.HELD: "已暂停（需人工处理）", State.FAILED: "失败",
               State.CANCELED: "已取消", State.MANUAL: "人工发布"}
MODE_NAMES = {Mode.PUBLISH: "发布", Mode.MASS_SEND: "群发"}

# States the scheduler works on, states a plan never moves, and states that are over.
ACTIVE = frozenset({State.APPROVED, State.PUBLISHING})
FROZEN = frozenset({State.PUBLISHING, State.PUBLISHED, State.MANUAL})
FINAL = frozenset({State.PUBLISHED, State.CANCELED, State.MANUAL})

# Every allowed move, with what it means. A move not listed here is a bug and is refused.
TRANSITIONS: dict[tuple[State, State], str] = {
    (State.PLANNED, State.APPROVED): "审批通过",
    (State.PLANNED, State.CANCELED): "取消",
    (State.APPROVED, State.PLANNED): "审批作废",
    (State.APPROVED, State.PUBLISHING): "开始发布",
    (State.APPROVED, State.HELD): "暂停",
    (State.APPROVED, State.FAILED): "准备失败",
    (State.APPROVED, State.CANCELED): "取消",
    (State.PUBLISHING, State.PUBLISHED): "发布成功",
    (State.PUBLISHING, State.FAILED): "发布失败",
    (State.PUBLISHING, State.HELD): "暂停",
    (State.PUBLISHING, State.PLANNED): "审批作废",
    (State.PUBLISHING, State.CANCELED): "取消（尚未提交微信）",
    (State.HELD, State.APPROVED): "恢复",
    (State.HELD, State.PLANNED): "重新排期，待审批",
    (State.HELD, State.CANCELED): "取消",
    (State.FAILED, State.APPROVED): "重试",
    (State.FAILED, State.PLANNED): "重新排期，待审批",
    (State.FAILED, State.CANCELED): "取消",
    (State.CANCELED, State.APPROVED): "重新排期",
    (State.CANCELED, State.PLANNED): "重新排期，待审批",
    # Published by hand from the fallback pack (or ahead of its time), the article link recorded:
    # only a release whose review chain stood (approved, or failed / held after approval).
    (State.APPROVED, State.MANUAL): "人工发布",
    (State.HELD, State.MANUAL): "人工发布",
    (State.FAILED, State.MANUAL): "人工发布",
}


def allowed(source: str, target: str) -> bool:
    """True when a release may move from ``source`` to ``target``."""
    try:
        return (State(source), State(target)) in TRANSITIONS
    except ValueError:
        return False


def state_name(state: str) -> str:
    """The Chinese name staff see for a state."""
    try:
        return STATE_NAMES[State(state)]
    except ValueError:
        return state


def mode_name(mode: str) -> str:
    """The Chinese name staff see for a mode (发布 / 群发)."""
    try:
        return MODE_NAMES[Mode(mode)]
    except ValueError:
        return mode
