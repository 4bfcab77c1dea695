"""Readers' comments (留言) on published articles: records, synthetic comments, their views.

An article's comment record is made when it becomes public (``jobs.py`` calls ``register``): open
iff its draft article had ``need_open_comment=1``, followers-only from ``only_fans_can_comment``.
An article published with comments open gets 2–6 synthetic comments (or
``SandboxConfig.comments_per_article``) derived from (seed, msg_data_id, index) only, dated 5
minutes to 48 hours after publication — they "arrive" as the sandbox clock passes their time.
``user_comment_id`` counts from 1 per article, in order of creation time for synthetic comments,
then on for comments added through ``POST /sandbox/comments``.
"""
from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime

from wxpub.sandbox.state import SandboxState

MIN_DELAY_S = 5 * 60
MAX_DELAY_S = 48 * 3600
SYNTHETIC_RANGE = (2, 6)
FOLLOWER_SHARE = 0.4  # share of synthetic commenters who are known followers (when not only_fans)

#: What readers of a government account write under a case of 营商环境 / government services.
POOL = (
    "请问这个“一网通办”的事项在区政务服务中心能办吗？需要带哪些材料？",
    "点赞！上个月办营业执照，一天就拿到了，窗口工作人员很耐心。",
    "希望其他街道也能推广这种做法，企业跑一次就能办完。",
    "我们公司申请的惠企补贴三个月了还没到账，不知道找哪个部门问？",
    "文章里说的帮办代办服务，个体工商户也可以申请吗？",
    "建议把办事指南做成一张图，手机上看更清楚。",
    "实实在在为企业办事，给你们点个赞！",
    "这个案例很有参考价值，我们园区也遇到过类似问题。",
    "线上预约经常约不上号，能不能增加一些名额？",
    "请问政策的申报截止时间是什么时候？",
    "营商环境越来越好了，作为在这里创业的年轻人很有感触。",
    "电话打了好几次都没人接，希望能公布一个能打通的咨询电话。",
    "审批时限从二十个工作日压缩到五个，真是不容易，辛苦了！",
    "能不能出一期讲讲小微企业贷款贴息怎么申请？",
    "我们小区门口的道路施工影响商户经营，希望相关部门关注一下。",
    "“免申即享”太方便了，钱直接到账，什么材料都没交。",
    "文中提到的服务专员怎么联系？有没有联系方式？",
    "希望多发一些这样的典型案例，让大家知道有问题可以找谁。",
    "建议周末也开放一个窗口，上班族平时请不出假。",
    "外地企业来投资也能享受同样的政策吗？",
)


@dataclass
class Reply:
    """An author reply accepted by ``comment/reply/add`` (``deleted`` by ``reply/delete``)."""

    content: str
    create_time: int
    deleted: bool = False


@dataclass
class Comment:
    """One reader comment; ``replies`` keeps every reply ever accepted, in order."""

    user_comment_id: int
    openid: str
    create_time: int  # unix seconds, sandbox time
    content: str
    elected: bool = False
    deleted: bool = False
    replies: list[Reply] = field(default_factory=list)
    reply_calls: int = 0  # reply/add calls naming this comment, refused ones included

    @property
    def reply(self) -> Reply | None:
        """The current author reply (the last accepted one, unless deleted)."""
        return self.replies[-1] if self.replies and not self.replies[-1].deleted else None


@dataclass
class ArticleComments:
    """The comment section of one published article (index 0-based within its send)."""

    msg_data_id: str
    index: int
    open: bool
    only_fans: bool
    comments: list[Comment] = field(default_factory=list)

    def next_id(self) -> int:
        """The user_comment_id for a new comment."""
        return max((c.user_comment_id for c in self.comments), default=0) + 1

    def find(self, user_comment_id: int, now: int) -> Comment | None:
        """A visible, not deleted comment by id (None otherwise)."""
        return next((c for c in self.comments if c.user_comment_id == user_comment_id
                     and not c.deleted and c.create_time <= now), None)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def synthetic_openid(*parts: object) -> str:
    """A well-formed openid (``o`` + 27 characters) derived from ``parts``."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def synthesize(state: SandboxState, msg_data_id: str, index: int, published: datetime,
               only_fans: bool) -> list[Comment]:
    """The seeded comments of one article: same seed, id and index ⇒ same comments."""
    rng = _rng(state.seed, msg_data_id, index, "comments")
    wanted = state.config.comments_per_article
    count = rng.randint(*SYNTHETIC_RANGE) if wanted is None else wanted
    delays = sorted(rng.randint(MIN_DELAY_S, MAX_DELAY_S) for _ in range(count))
    texts = rng.sample(POOL, count) if count <= len(POOL) else [rng.choice(POOL) for _ in range(count)]
    with state.lock:
        fans = sorted(f.openid for f in state.followers.values() if f.subscribed)
    base = int(published.timestamp())
    comments = []
    for n, (delay, text) in enumerate(zip(delays, texts), start=1):
        from_fan = fans and (only_fans or rng.random() < FOLLOWER_SHARE)
        openid = rng.choice(fans) if from_fan else synthetic_openid(state.seed, msg_data_id, index, n)
        comments.append(Comment(user_comment_id=n, openid=openid, create_time=base + delay, content=text))
    return comments


def register(state: SandboxState, msg_data_id: str, index: int, article: dict, published: datetime) -> None:
    """Make the comment section of an article that just became public (called under state.lock)."""
    is_open = article.get("need_open_comment") == 1
    only_fans = article.get("only_fans_can_comment") == 1
    section = ArticleComments(msg_data_id=str(msg_data_id), index=index, open=is_open, only_fans=only_fans)
    if is_open:
        section.comments = synthesize(state, section.msg_data_id, index, published, only_fans)
    state.comments[(section.msg_data_id, index)] = section


def section_of(state: SandboxState, msg_data_id: object, index: object) -> ArticleComments | None:
    """The comment section for (msg_data_id, 0-based index), or None."""
    return state.comments.get((str(msg_data_id).strip(), index)) if isinstance(index, int) else None


def add_comment(state: SandboxState, section: ArticleComments, content: str, openid: str | None,
                create_time: int) -> Comment:
    """A reader comment added through the control endpoint (under state.lock)."""
    uid = section.next_id()
    comment = Comment(user_comment_id=uid, create_time=create_time, content=content,
                      openid=openid or synthetic_openid(state.config.appid, section.msg_data_id,
                                                        section.index, uid, "added"))
    section.comments.append(comment)
    return comment


def api_view(comment: Comment) -> dict:
    """A comment as ``comment/list`` answers it."""
    item = {"user_comment_id": comment.user_comment_id, "openid": comment.openid,
            "create_time": comment.create_time, "content": comment.content,
            "comment_type": 1 if comment.elected else 0}
    if comment.reply is not None:
        item["reply"] = {"content": comment.reply.content, "create_time": comment.reply.create_time}
    return item


def record(comment: Comment, now: int) -> dict:
    """A comment as the control endpoint shows it (everything, deleted ones included)."""
    reply = comment.reply
    return {"user_comment_id": comment.user_comment_id, "openid": comment.openid,
            "create_time": comment.create_time, "content": comment.content,
            "elected": comment.elected, "deleted": comment.deleted,
            "visible": comment.create_time <= now,
            "reply": None if reply is None else {"content": reply.content, "create_time": reply.create_time},
            "replies": [{"content": r.content, "create_time": r.create_time, "deleted": r.deleted}
                        for r in comment.replies],
            "reply_calls": comment.reply_calls}


def section_record(section: ArticleComments, now: int) -> dict:
    """An article's comment section as the control endpoint shows it."""
    return {"msg_data_id": section.msg_data_id, "index": section.index, "open": section.open,
            "only_fans": section.only_fans,
            "comments": [record(c, now) for c in sorted(section.comments, key=lambda c: c.user_comment_id)]}
