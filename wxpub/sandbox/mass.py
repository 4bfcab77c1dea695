"""Mass send (群发, reference §5): sendall, get, delete — mpnews only (preview: ``preview.py``).

Quota (45028): with `is_to_all`, a subscription account gets 1 successful send per calendar day,
a service account 4 per calendar month, both in Asia/Shanghai sandbox time; failed sends give the
quota back, tag sends do not use it. `clientmsgid`: > 64 bytes → 45067; used by an accepted send
in the last 24 h → 45065 with that send's `msg_id` (checked before anything else, so a retry
after a lost answer learns the outcome even though the draft is gone). Sandbox choices: other
msgtypes → 40008; bad filter → 40002; delete of a send that is not SEND_SUCCESS → 40059.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint

from wxpub.sandbox.draft import find_draft
from wxpub.sandbox.jobs import finish_due_jobs
from wxpub.sandbox.state import SHANGHAI, Job, SandboxState
from wxpub.sandbox.wire import WeChatError, as_int, json_body, wechat_endpoint

bp = Blueprint("sandbox_mass", __name__)

CLIENTMSGID_BYTES = 64
CLIENTMSGID_WINDOW = timedelta(hours=24)
FOLLOWERS = 12_860


def _counts_quota(job: Job) -> bool:
    return job.to_all and not (job.finished and job.status_text != "send success")


def _quota_left(state: SandboxState) -> bool:
    today = state.local_now()
    used = 0
    for job in state.jobs.values():
        if job.kind != "mass" or not _counts_quota(job):
            continue
        sent = job.submitted_at.astimezone(SHANGHAI)
        if state.config.account_type == "subscription":
            used += sent.date() == today.date()
        else:
            used += (sent.year, sent.month) == (today.year, today.month)
    return used < (1 if state.config.account_type == "subscription" else 4)


def _mass_job(state: SandboxState, msg_id: object) -> Job:
    try:
        key = str(as_int(msg_id, 40059, "msg_id"))
    except WeChatError:
        raise WeChatError(40059) from None
    job = state.jobs.get(("mass", key))
    if job is None:
        raise WeChatError(40059)
    return job


def media_id_of(body: dict) -> object:
    """The mpnews media_id of a send or preview body (40008 for any other msgtype)."""
    if body.get("msgtype") != "mpnews":
        raise WeChatError(40008, "invalid message type hint: [the sandbox emulates mpnews only]")
    mpnews = body.get("mpnews")
    return mpnews.get("media_id") if isinstance(mpnews, dict) else None


@wechat_endpoint(bp, "/cgi-bin/message/mass/sendall")
def sendall(state: SandboxState) -> dict:
    """Send a draft to all followers or to one tag."""
    if not state.verified():  # a lapsed verification withdraws the permission (§0a.3)
        raise WeChatError(48001, "api unauthorized hint: [account verification expired]")
    body = json_body()
    clientmsgid = body.get("clientmsgid") or ""
    if not isinstance(clientmsgid, str):
        raise WeChatError(40002, "invalid args hint: [clientmsgid must be a string]")
    if len(clientmsgid.encode("utf-8")) > CLIENTMSGID_BYTES:
        raise WeChatError(45067)
    with state.lock:
        now = state.now()
        earlier = state.clientmsgids.get(clientmsgid) if clientmsgid else None
        if earlier is not None and now - earlier.submitted_at < CLIENTMSGID_WINDOW:
            raise WeChatError(45065, msg_id=int(earlier.job_id))
    flt = body.get("filter")
    if not isinstance(flt, dict):
        raise WeChatError(40002, "invalid args hint: [filter missing]")
    to_all = flt.get("is_to_all") in (True, 1, "true")
    tag_id = flt.get("tag_id", flt.get("group_id"))
    if not to_all and (tag_id is None or not str(tag_id).isdigit()):
        raise WeChatError(40002, "invalid args hint: [filter.tag_id required when is_to_all is false]")
    draft = find_draft(state, media_id_of(body))
    with state.lock:
        if state.drafts.get(draft.media_id) is not draft:
            raise WeChatError(40007)
        if to_all and not _quota_left(state):
            raise WeChatError(45028)
        job = Job(kind="mass", job_id=str(state.next_number()), msg_data_id=state.new_msg_data_id(),
                  draft=draft, submitted_at=now, due_at=now + timedelta(seconds=state.config.publish_delay),
                  to_all=to_all, tag_id=None if to_all else int(tag_id), clientmsgid=clientmsgid)
        if state.outcomes["mass"]:
            job.outcome = dict(state.outcomes["mass"].pop(0))
        total = FOLLOWERS if to_all else FOLLOWERS // 8 + int(tag_id) % 50
        errors = state.rng.randrange(4)
        job.outcome["counts"] = {"total": total, "filter": total, "sent": total - errors, "error": errors}
        state.add_job(("mass", job.job_id), job)
        if clientmsgid:
            state.clientmsgids[clientmsgid] = job
        del state.drafts[draft.media_id]
    finish_due_jobs(state)
    return {"errcode": 0, "errmsg": "send job submission success", "msg_id": int(job.job_id),
            "msg_data_id": int(job.msg_data_id)}


@wechat_endpoint(bp, "/cgi-bin/message/mass/get")
def get(state: SandboxState) -> dict:
    """Status of a mass send: SENDING, SEND_SUCCESS, SEND_FAIL or DELETE."""
    finish_due_jobs(state)
    with state.lock:
        job = _mass_job(state, json_body().get("msg_id"))
        if not job.finished:
            status = "SENDING"
        elif job.status_text != "send success":
            status = "SEND_FAIL"
        elif len(job.deleted) == len(job.article_urls):
            status = "DELETE"
        else:
            status = "SEND_SUCCESS"
        return {"msg_id": int(job.job_id), "msg_status": status}


@wechat_endpoint(bp, "/cgi-bin/message/mass/delete")
def delete(state: SandboxState) -> dict:
    """Delete a successfully sent message (article_idx 1-based; 0/omitted = all)."""
    finish_due_jobs(state)
    body = json_body()
    with state.lock:
        job = _mass_job(state, body.get("msg_id"))
        if not job.finished or job.status_text != "send success":
            raise WeChatError(40059, "invalid msg id hint: [only sent messages can be deleted]")
        idx = as_int(body.get("article_idx", 0) or 0, 40114, "article_idx")
        if idx < 0 or idx > len(job.article_urls):
            raise WeChatError(40114, f"invalid index value hint: [{idx}]")
        job.deleted.update(range(1, len(job.article_urls) + 1) if idx == 0 else {idx})
    return {"errcode": 0, "errmsg": "ok"}
