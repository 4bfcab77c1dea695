"""Publishing without notification (发布, reference §4): submit, get, getarticle, batchget, delete.

submit takes the draft out of the box (a failed job puts it back) and starts a job that stays at
publish_status 1 for `publish_delay` seconds of sandbox time. Sandbox choices: unknown publish_id
→ 40002 (the reference's "invalid argument"); unknown article_id → 53600; delete index past the
end → 40114.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint

from wxpub.sandbox.draft import find_draft
from wxpub.sandbox.jobs import finish_due_jobs
from wxpub.sandbox.state import Job, SandboxState
from wxpub.sandbox.wire import WeChatError, as_int, json_body, wechat_endpoint

bp = Blueprint("sandbox_freepublish", __name__)


def _job(state: SandboxState, publish_id: object) -> Job:
    try:
        key = str(as_int(publish_id, 40002, "publish_id"))
    except WeChatError:
        raise WeChatError(40002, "invalid argument hint: [publish_id]") from None
    job = state.jobs.get(("freepublish", key))
    if job is None:
        raise WeChatError(40002, "invalid argument hint: [no such publish_id]")
    return job


def _article_job(state: SandboxState, article_id: object) -> Job:
    job = state.articles_by_id.get(article_id) if isinstance(article_id, str) else None
    if job is None:
        raise WeChatError(53600)
    return job


def news_items(job: Job, with_content: bool = True) -> list[dict]:
    """Published articles as getarticle/batchget answer them."""
    items = []
    for idx, (article, url) in enumerate(zip(job.draft.articles, job.article_urls), start=1):
        item = {k: v for k, v in article.items() if with_content or k != "content"}
        item.update(url=url, is_deleted=idx in job.deleted)
        items.append(item)
    return items


@wechat_endpoint(bp, "/cgi-bin/freepublish/submit")
def submit(state: SandboxState) -> dict:
    """Accept a draft for publishing; errcode 0 only means "accepted"."""
    if not state.verified():  # a lapsed verification withdraws the permission (§0a.3)
        raise WeChatError(48001, "api unauthorized hint: [account verification expired]")
    draft = find_draft(state, json_body().get("media_id"))
    with state.lock:
        if state.drafts.get(draft.media_id) is not draft:
            raise WeChatError(40007)
        now = state.now()
        job = Job(kind="freepublish", job_id=str(state.next_number() + 100000000),
                  msg_data_id=state.new_msg_data_id(), draft=draft, submitted_at=now,
                  due_at=now + timedelta(seconds=state.config.publish_delay))
        if state.outcomes["freepublish"]:
            job.outcome = state.outcomes["freepublish"].pop(0)
        state.add_job(("freepublish", job.job_id), job)
        del state.drafts[draft.media_id]
    finish_due_jobs(state)  # publish_delay 0 finishes at once
    return {"errcode": 0, "errmsg": "ok", "publish_id": job.job_id, "msg_data_id": job.msg_data_id}


@wechat_endpoint(bp, "/cgi-bin/freepublish/get")
def get(state: SandboxState) -> dict:
    """Poll a publish job: 1 while running, then 0 (with article_id/detail) or a failure code."""
    finish_due_jobs(state)
    with state.lock:
        job = _job(state, json_body().get("publish_id"))
        result: dict = {"publish_id": job.job_id, "msg_data_id": job.msg_data_id}
        if not job.finished:
            return {**result, "publish_status": 1, "fail_idx": []}
        status = job.outcome.get("publish_status", 0)
        if status != 0:
            return {**result, "publish_status": status, "fail_idx": job.outcome.get("fail_idx", [])}
        all_deleted = len(job.deleted) == len(job.article_urls)
        return {**result, "publish_status": 5 if all_deleted else 0, "article_id": job.article_id,
                "article_detail": {"count": len(job.article_urls),
                                   "item": [{"idx": i, "article_url": url}
                                            for i, url in enumerate(job.article_urls, start=1)]},
                "fail_idx": []}


@wechat_endpoint(bp, "/cgi-bin/freepublish/getarticle")
def getarticle(state: SandboxState) -> dict:
    """The articles behind an article_id, with `is_deleted`."""
    with state.lock:
        job = _article_job(state, json_body().get("article_id"))
        return {"news_item": news_items(job)}


@wechat_endpoint(bp, "/cgi-bin/freepublish/batchget")
def batchget(state: SandboxState) -> dict:
    """Successful 发布 items, newest first (mass-sent articles are not listed)."""
    finish_due_jobs(state)
    body = json_body()
    offset = as_int(body.get("offset", 0), name="offset")
    count = as_int(body.get("count", 20), name="count")
    if offset < 0 or not 1 <= count <= 20:
        raise WeChatError(40002, "invalid args hint: [offset >= 0, count 1..20]")
    with_content = as_int(body.get("no_content", 0), name="no_content") != 1
    with state.lock:
        jobs = [j for j in state.articles_by_id.values() if len(j.deleted) < len(j.article_urls)]
        jobs.sort(key=lambda j: (j.finished_at, int(j.job_id)), reverse=True)
        page = jobs[offset:offset + count]
        return {"total_count": len(jobs), "item_count": len(page),
                "item": [{"article_id": j.article_id,
                          "content": {"news_item": news_items(j, with_content)},
                          "update_time": int(j.finished_at.timestamp())} for j in page]}


@wechat_endpoint(bp, "/cgi-bin/freepublish/delete")
def delete(state: SandboxState) -> dict:
    """Delete one article (1-based index) or, with index 0/omitted, all of them."""
    body = json_body()
    with state.lock:
        job = _article_job(state, body.get("article_id"))
        index = as_int(body.get("index", 0) or 0, 40114, "index")
        if index < 0 or index > len(job.article_urls):
            raise WeChatError(40114, f"invalid index value hint: [{index}]")
        job.deleted.update(range(1, len(job.article_urls) + 1) if index == 0 else {index})
    return {"errcode": 0, "errmsg": "ok"}
