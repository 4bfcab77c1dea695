"""What the review page shows and accepts, built for ``wxpub.web.review_pages``: the phone preview of
the current version with its paragraphs anchored (and each comment thread's badge at its
paragraph), the places a comment can point at, the chain, and what the logged-in person may do
now (or why not, in plain Chinese). Reads only; the use cases write.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import select

from wxpub.core.errors import ValidationError
from wxpub.core.lint import Location
from wxpub.core.render.credits import append_credits
from wxpub.core.render.preview import annotate_article, case_shape, finding_anchor, with_images
from wxpub.core.review_policy import APPROVE, DECISION_NAMES, PROOFREAD, Policy, Stage
from wxpub.editorial import chain, comments, history, review, sheet
from wxpub.models import Chapter, Message, MessageVersion, User
from wxpub.staff.users import role_name
from wxpub.web.desk import tz

PLACE_KINDS = ("intro", "heading", "body", "note", "footer")
QUOTE_CHARS = 60


@dataclass
class Actions:
    """What the person may do on the page now: sign ``stage`` (通过 unless ``approve_blocked``
    says why not), record 校对 round ``proofread``; ``reasons``: why they may not (more)."""

    stage: Stage | None = None
    approve_blocked: list[str] = field(default_factory=list)
    proofread: int | None = None
    reasons: list[str] = field(default_factory=list)
    secrecy: bool = False
    can_comment: bool = False
    comment_reason: str = ""


def _roles(roles) -> str:
    return "或".join(role_name(r) for r in roles)


def actions(snap: chain.Snapshot, policy: Policy, user) -> Actions:
    """What ``user`` (username, role) may do on the current version, and why not."""
    out = Actions()
    role, username = user.role, user.username
    if role not in comments.COMMENT_ROLES and not any(role in s.roles for s in policy.stages):
        out.reasons.append("管理员负责系统维护，不参与审核（只能查看）")
        out.comment_reason = "管理员不参与审核，不能写意见。"
        return out
    if snap.stale:
        out.reasons.append("本页内容已过时：这一版本生成后案例又有修改，须由编辑重新生成后再审核")
        out.comment_reason = "本页内容已过时，不能再写意见。"
        return out
    state = snap.state
    if snap.sealed or state.complete:
        out.reasons.append("审核已完成，无需再签")
        out.comment_reason = "审核已完成，不能再写意见；如发现问题，请编辑修改后重新生成（须重新审核）。"
        return out
    out.can_comment = role in comments.COMMENT_ROLES
    if not out.can_comment:
        out.comment_reason = "你的角色不写审核意见。"
    nxt, signed = state.next_stage, state.signers.get(username)
    mine = [s for s in policy.stages if role in s.roles]
    if nxt is not None and role in nxt.roles:
        if signed is not None and signed != nxt.name:
            out.reasons.append(f"你已签署{signed}，不能再签{nxt.name}（同一人不能签两个环节）")
        else:
            out.stage = nxt
            out.secrecy = nxt.name == policy.secrecy_stage
            out.approve_blocked = _approve_blocked(snap, policy, nxt)
    elif nxt is not None and signed is not None:
        out.reasons.append(f"你已签署{signed}，现在等待{nxt.name}（由{_roles(nxt.roles)}签署）")
    elif nxt is not None and mine:
        later = mine[0].name
        out.reasons.append(f"等待{nxt.name}（由{_roles(nxt.roles)}签署），之后由你签{later}")
    returned = state.returned
    if role in policy.proofread_roles and policy.proofread_rounds:
        last = state.latest.get(policy.last.name)
        done = next((m for m in state.proofreads if m.username == username), None)
        if returned is not None:
            pass
        elif not state.proofreads_missing or (last is not None and last.decision == APPROVE):
            pass
        elif done is not None:
            out.reasons.append(f"你已记录第 {done.round} 轮校对，下一轮须由另一人校对（交叉校对）")
        else:
            out.proofread = len(state.proofreads) + 1
    if out.stage is None and out.proofread is None and not out.reasons:
        out.reasons.append(f"你的角色（{role_name(role)}）现在没有要签署的环节")
    return out


def _approve_blocked(snap: chain.Snapshot, policy: Policy, stage: Stage) -> list[str]:
    why = []
    blocking = [f for f in snap.version.findings or [] if f.get("severity") == "blocking"]
    if blocking:
        why.append(f"有 {len(blocking)} 个阻断问题须先修改")
    if stage is policy.last:
        if snap.state.proofreads_missing:
            why.append(f"{stage.name}前须完成 {policy.proofread_rounds} 轮校对，"
                       f"还差 {snap.state.proofreads_missing} 轮")
        if snap.open_comments:
            why.append(f"还有 {snap.open_comments} 条意见没有解决")
    return why


def _badge(html: str, anchor: str, links: list[str]) -> str:
    """``html`` with the threads' badges just inside the element whose id is ``anchor``."""
    match = re.search(rf'id="{re.escape(anchor)}"[^>]*>', html)
    if match is None:
        return html
    return html[:match.end()] + "".join(links) + html[match.end():]


def annotate(session, version: MessageVersion, threads: list[dict] | None = None) -> list[dict]:
    """Per article: its row, prefix, annotated HTML (anchors, images, thread badges) and anchors."""
    cases = history.cases_of(session, [version]).get(version.id, {})
    shapes = {n: case_shape(n, ref.content) for n, ref in cases.items()}
    cursor: dict[int, int] = {}
    numbered = {t["id"]: i for i, t in enumerate(threads or [], start=1)}
    out = []
    for row in version.articles:
        prefix = f"a{row.idx}"
        text, anchors = annotate_article(row.html, prefix, shapes, cursor)
        ids = {a.id for a in anchors} | {f"{prefix}-title"}
        by_anchor: dict[str, list[str]] = {}
        for thread in threads or []:
            if thread["anchor"] in ids:
                state = "resolved" if thread["resolved"] else "open"
                label = f"意见 {numbered[thread['id']]}{'（已解决）' if thread['resolved'] else ''}"
                by_anchor.setdefault(thread["anchor"], []).append(
                    f'<a class="rv-badge rv-{state}" href="#thread-{thread["id"]}" '
                    f'data-thread="{thread["id"]}">{_html.escape(label)}</a>')
        title_badges = "".join(by_anchor.pop(f"{prefix}-title", []))
        for anchor, links in by_anchor.items():
            text = _badge(text, anchor, links)
        text = with_images(text, {sha: url_for("preview.media", sha256=sha) for sha in row.image_sha256s})
        out.append({"row": row, "prefix": prefix, "html": text, "anchors": anchors,
                    "title_badges": title_badges})
    return out


def places(articles: list[dict]) -> list[dict]:
    """Where a comment may point, in document order: per article the article itself, then each
    anchored paragraph ("第1篇 · 案例03 · 第2段：开头几个字…")."""
    out = []
    for article in articles:
        index = article["row"].idx - 1
        out.append({"id": f"{article['prefix']}-title", "article": index, "case": None, "paragraph": None,
                    "label": f"第{index + 1}篇 · 标题", "text": article["row"].title})
        for anchor in article["anchors"]:
            if anchor.kind not in PLACE_KINDS:
                continue
            text = " ".join(anchor.text.split())
            short = text[:24] + ("…" if len(text) > 24 else "")
            out.append({"id": anchor.id, "article": index, "case": anchor.case, "paragraph": anchor.paragraph,
                        "label": comments.describe(index, anchor.case, anchor.paragraph, anchor.id)
                        + (f"：{short}" if short else ""), "text": text})
    return out


def place_of(all_places: list[dict], where: str) -> dict:
    """The place chosen in the form (``""``: the whole message), or ``ValidationError``."""
    where = (where or "").strip()
    if not where:
        return {"id": "", "article": None, "case": None, "paragraph": None, "text": ""}
    found = next((p for p in all_places if p["id"] == where), None)
    if found is None:
        raise ValidationError("请在列表中选择意见针对的段落（或“整条消息”）", code="where")
    return found


def quote_for(place: dict, given: str) -> str:
    """The words a comment quotes: what the person selected in the paragraph, else its start."""
    given = " ".join((given or "").split())
    if given and given in place["text"]:
        return given
    text = place["text"]
    return text[:QUOTE_CHARS] + ("…" if len(text) > QUOTE_CHARS else "")


def findings(version: MessageVersion, articles: list[dict]) -> list[dict]:
    """The version's findings with where they are and the anchor they point at."""
    prefixes = {a["row"].idx - 1: a for a in articles}
    out = []
    for data in version.findings or []:
        location = Location(data.get("article"), data.get("case"), data.get("paragraph"),
                            data.get("field") or "body")
        article = prefixes.get(location.article)
        anchor = finding_anchor(location, article["prefix"], article["anchors"], data.get("text", "")) \
            if article is not None else ""
        out.append({**data, "where": location.describe(), "anchor": anchor})
    out.sort(key=lambda f: f.get("severity") != "blocking")
    return out


def stages(session, snap: chain.Snapshot, policy: Policy) -> list[dict]:
    """Each configured stage with its newest decision (who, when, comment, secrecy review)."""
    rows = chain.signoffs(session, snap.version.id)
    out = []
    for stage in policy.stages:
        mark = snap.state.latest.get(stage.name)
        row = next((r for r in reversed(rows) if r.stage == stage.name), None)
        out.append({"stage": stage, "roles": _roles(stage.roles), "mark": mark,
                    "decision": DECISION_NAMES.get(mark.decision, "") if mark else "",
                    "details": (row.details or {}) if row is not None else {},
                    "secrecy": stage.name == policy.secrecy_stage})
    return out


def page_data(session, message_id: int, *, user, policy: Policy) -> dict:
    """Everything the review page of ``message_id`` shows, for ``user``."""
    message = review.get_message(session, message_id)
    snap = chain.snapshot(session, message, policy)
    chapter = session.get(Chapter, message.chapter_id)
    data = {"message": message, "chapter": chapter, "series": chapter.series, "snap": snap,
            "version": snap.version, "policy": policy, "policy_text": policy.describe(role_name),
            "release": sheet.release_of(session, message)}
    if snap.version is None:
        data.update(articles=[], places=[], threads=[], actions=Actions(reasons=["还没有排版好的内容"]),
                    title=chapter.name, stages=[], findings=[], history=[], several=False)
        return data
    threads = comments.threads(session, snap.version.id, tz())
    editor = user.role in comments.RESOLVE_ROLES
    for number, thread in enumerate(threads, start=1):
        thread["number"] = number
        thread["may_resolve"] = (thread["by"] == user.username or editor) and user.role in comments.COMMENT_ROLES
    articles = annotate(session, snap.version, threads)
    credits = sheet.credits_preview_html(session, snap.version, policy)
    if credits:  # what publishing appends to every article, shown where it will be
        for article in articles:
            article["html"] = append_credits(article["html"], credits)
    present = {p["id"] for p in places(articles)}
    for thread in threads:
        thread["located"] = thread["anchor"] in present
    several = session.scalar(select(Message.id).where(Message.chapter_id == message.chapter_id,
                                                      Message.id != message.id).limit(1)) is not None
    data.update(
        title=snap.version.articles[0].title if snap.version.articles else chapter.name,
        articles=articles, places=places(articles), threads=threads,
        actions=actions(snap, policy, user), stages=stages(session, snap, policy),
        findings=findings(snap.version, articles), several=several,
        history=chain.signoffs(session, snap.version.id, valid_only=False),
        composer=_name(session, review.composer_of(session, message, snap.version)),
        credits=sheet.credits_line(session, snap.version, policy) if credits else None)
    return data


def _name(session, username: str | None) -> str:
    """"王编辑" for an account's username (the username itself when there is no such account)."""
    if not username:
        return ""
    user = session.scalar(select(User).where(User.username == username))
    return (user.display_name or username) if user is not None else username


def secret_choice(value: str | None, *, needed: bool, decision: str) -> bool | None:
    """The form's 是否涉密 (``"0"`` 否, ``"1"`` 是) where the stage records it."""
    if not needed:
        return None
    value = (value or "").strip()
    if value in ("0", "1"):
        return value == "1"
    if decision == APPROVE:
        raise ValidationError("请选择“是否涉密”（复审须作保密审查）", code="secret")
    return None


def signed_message(stage: str, decision: str, done, approved_at: str = "") -> str:
    """What the flash says after a sign-off."""
    if stage == PROOFREAD:
        text = f"已记录第 {done.signoff.round} 轮校对。"
    elif decision == APPROVE:
        text = f"已签署{stage}：通过。"
    else:
        text = f"已退回（{stage}）：{done.signoff.comment}。编辑和已签署的人会收到通知。"
    if done.completed:
        text += ("审核已完成，发布已进入待发" + (f"（计划 {approved_at} 发布）" if approved_at else "") + "。"
                 if done.approved else "审核已完成；本消息还没有安排发布。")
    return text
