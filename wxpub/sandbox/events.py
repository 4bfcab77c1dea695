"""Job-finished events (PUBLISHJOBFINISH §4.3, MASSSENDJOBFINISH §5.5) and their delivery.

Events go to the callback URL in safe mode (§7.2): an `<Encrypt>` envelope plus `signature`,
`timestamp`, `nonce`, `openid`, `encrypt_type=aes` and `msg_signature` in the query string.
Each delivery runs in its own daemon thread: 5 s timeout, 3 attempts in all (§7.4), and never
inside a request handler. Every event is recorded in `state.events` for /sandbox/events.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests

from wxpub.sandbox.config import forbidden_address
from wxpub.sandbox.crypto import MessageCrypto, sha1_signature
from wxpub.sandbox.state import Job, SandboxState

MPHELPER_OPENID = "oSandbox_mphelper_0000000000"  # 28 chars, like a real openid
TIMEOUT = 5.0
ATTEMPTS = 3


def _cdata(text: str) -> str:
    return "<![CDATA[" + str(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _head(state: SandboxState, job: Job, event: str) -> str:
    return (f"<xml><ToUserName>{_cdata(state.gh_id())}</ToUserName>"
            f"<FromUserName>{_cdata(MPHELPER_OPENID)}</FromUserName>"
            f"<CreateTime>{int(job.finished_at.timestamp())}</CreateTime>"
            f"<MsgType>{_cdata('event')}</MsgType><Event>{_cdata(event)}</Event>")


def publish_event_xml(state: SandboxState, job: Job) -> str:
    """The PUBLISHJOBFINISH event for a finished freepublish job."""
    status = job.outcome.get("publish_status", 0)
    info = f"<publish_id>{escape(job.job_id)}</publish_id><publish_status>{status}</publish_status>"
    if status == 0:
        items = "".join(f"<item><idx>{i}</idx><article_url>{_cdata(url)}</article_url></item>"
                        for i, url in enumerate(job.article_urls, start=1))
        info += (f"<article_id>{_cdata(job.article_id)}</article_id>"
                 f"<article_detail><count>{len(job.article_urls)}</count>{items}</article_detail>")
    else:
        info += "".join(f"<fail_idx>{i}</fail_idx>" for i in job.outcome.get("fail_idx", []))
    return _head(state, job, "PUBLISHJOBFINISH") + f"<PublishEventInfo>{info}</PublishEventInfo></xml>"


def mass_event_xml(state: SandboxState, job: Job) -> str:
    """The MASSSENDJOBFINISH event for a finished mass send."""
    counts = job.outcome.get("counts", {})
    ok = job.status_text == "send success"
    copyright_items = "".join(
        f"<item><ArticleIdx>{i}</ArticleIdx><UserDeclareState>0</UserDeclareState><AuditState>0"
        f"</AuditState><OriginalArticleUrl>{_cdata('')}</OriginalArticleUrl><OriginalArticleType>0"
        f"</OriginalArticleType><CanReprint>0</CanReprint><NeedReplaceContent>0</NeedReplaceContent>"
        f"<NeedShowReprintSource>0</NeedShowReprintSource></item>"
        for i in range(1, len(job.draft.articles) + 1))
    url_items = "".join(f"<item><ArticleIdx>{i}</ArticleIdx><ArticleUrl>{_cdata(url)}</ArticleUrl></item>"
                        for i, url in enumerate(job.article_urls, start=1)) if ok else ""
    return (_head(state, job, "MASSSENDJOBFINISH")
            + f"<MsgID>{job.job_id}</MsgID><Status>{_cdata(job.status_text)}</Status>"
            + f"<TotalCount>{counts.get('total', 0)}</TotalCount>"
            + f"<FilterCount>{counts.get('filter', 0)}</FilterCount>"
            + f"<SentCount>{counts.get('sent', 0)}</SentCount>"
            + f"<ErrorCount>{counts.get('error', 0)}</ErrorCount>"
            + f"<CopyrightCheckResult><Count>{len(job.draft.articles)}</Count>"
            + f"<ResultList>{copyright_items}</ResultList><CheckState>1</CheckState></CopyrightCheckResult>"
            + f"<ArticleUrlResult><Count>{len(job.article_urls) if ok else 0}</Count>"
            + f"<ResultList>{url_items}</ResultList></ArticleUrlResult></xml>")


def record_and_send(state: SandboxState, kind: str, job: Job, xml: str) -> dict:
    """Encrypt the event, record it, and start delivering it if a callback URL is set.

    Call with `state.lock` held; the delivery thread itself never takes the lock while
    waiting on the network.
    """
    config = state.config
    crypto = MessageCrypto(config.token, config.aes_key, config.appid)
    timestamp = str(int(job.finished_at.timestamp()))
    nonce = str(state.rng.randrange(10**8, 10**10))
    encrypted = crypto.encrypt(xml, state.rng.randbytes(16))
    body = (f"<xml><ToUserName>{_cdata(state.gh_id())}</ToUserName>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>")
    params = {"signature": sha1_signature(config.token, timestamp, nonce), "timestamp": timestamp,
              "nonce": nonce, "openid": MPHELPER_OPENID, "encrypt_type": "aes",
              "msg_signature": crypto.msg_signature(timestamp, nonce, encrypted)}
    record = {"kind": kind, "id": job.job_id, "xml": xml, "body": body, "params": params,
              "url": state.callback_url, "attempts": [], "delivered": False,
              "time": job.finished_at.isoformat()}
    state.events.append(record)
    if state.callback_url:
        threading.Thread(target=_deliver, args=(state, record), daemon=True,
                         name=f"sandbox-event-{job.job_id}").start()
    return record


def _resolves_to_forbidden(url: str) -> bool:
    """True if the URL's host resolves to a link-local/metadata (or otherwise forbidden) address:
    an allowed name must not lead the push to 169.254.169.254."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # unresolvable: the POST fails on its own
    for info in infos:
        try:
            address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        except ValueError:
            continue
        if forbidden_address(getattr(address, "ipv4_mapped", None) or address):
            return True
    return False


def _deliver(state: SandboxState, record: dict) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        if _resolves_to_forbidden(record["url"]):
            outcome = {"attempt": attempt, "error": "ForbiddenAddress"}
            with state.lock:
                record["attempts"].append(outcome)
            return
        try:
            # No redirects: a redirect must not take the push (and its query) somewhere else.
            response = requests.post(record["url"], params=record["params"],
                                     data=record["body"].encode("utf-8"),
                                     headers={"Content-Type": "text/xml"}, timeout=TIMEOUT,
                                     allow_redirects=False)
            outcome = {"attempt": attempt, "status": response.status_code}
        except requests.RequestException as exc:
            outcome = {"attempt": attempt, "error": type(exc).__name__}
        with state.lock:
            record["attempts"].append(outcome)
            if outcome.get("status") == 200:
                record["delivered"] = True
                return
