"""Comments (留言, wechat-api.md §0a.8) in the sandbox: the comment/* API, synthetic comments that
arrive after publication (deterministic per seed), the /sandbox/comments record, and 48001 while the
account's verification has lapsed."""
import pytest

from wxpub.sandbox.comment_store import POOL
from wxpub.sandbox.testing import SandboxClient, jpeg_bytes

from servers import start_sandbox

pytestmark = pytest.mark.sandbox(publish_delay=60)
TWO_DAYS = 49 * 3600


@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    return SandboxClient(module_sandbox)


def publish(sb, client, *, open_comment=1, only_fans=0, articles=1, via="freepublish"):
    """Publish a draft and move the clock until the job finished; return its msg_data_id."""
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    media_id = client.json("/cgi-bin/draft/add", {"articles": [
        {"title": f"优化营商环境案例{n}", "content": "<p>正文</p>", "thumb_media_id": thumb,
         "need_open_comment": open_comment, "only_fans_can_comment": only_fans} for n in range(articles)]
    })["media_id"]
    if via == "freepublish":
        answer = client.json("/cgi-bin/freepublish/submit", {"media_id": media_id})
    else:
        answer = client.json("/cgi-bin/message/mass/sendall", {
            "filter": {"is_to_all": True}, "msgtype": "mpnews", "mpnews": {"media_id": media_id}})
    assert answer["errcode"] == 0, answer
    sb.control("clock", {"advance_seconds": 60})
    return str(answer["msg_data_id"])


def listing(client, msg_data_id, index=0, **extra):
    return client.json("/cgi-bin/comment/list", {"msg_data_id": msg_data_id, "index": index, "begin": 0,
                                                 "count": 49, "type": 0, **extra})


def record(sb, msg_data_id, index=0):
    [article] = sb.control(f"comments?msg_data_id={msg_data_id}&index={index}")["articles"]
    return article


def errcode(answer, code):
    assert answer["errcode"] == code, answer
    assert " rid: " in answer["errmsg"]


def test_synthetic_comments_arrive_after_publication(module_sandbox, client):
    msg = publish(module_sandbox, client)
    assert listing(client, msg) == {"errcode": 0, "errmsg": "ok", "total": 0, "comment": []}
    article = record(module_sandbox, msg)
    assert article["open"] is True and article["only_fans"] is False
    assert 2 <= len(article["comments"]) <= 6 and not any(c["visible"] for c in article["comments"])
    published = int(__import__("datetime").datetime.fromisoformat(
        module_sandbox.control("published")[0]["published_at"]).timestamp())
    module_sandbox.control("clock", {"advance_seconds": TWO_DAYS})
    body = listing(client, msg)
    assert body["total"] == len(article["comments"]) == len(body["comment"])
    ids = [c["user_comment_id"] for c in body["comment"]]
    assert ids == sorted(ids) == list(range(1, len(ids) + 1))
    for c in body["comment"]:
        assert set(c) == {"user_comment_id", "openid", "create_time", "content", "comment_type"}
        assert published + 300 <= c["create_time"] <= published + 48 * 3600
        assert c["content"] in POOL and c["comment_type"] == 0 and c["openid"].startswith("o")


def test_same_seed_same_comments_other_seed_other_comments():
    def comments(seed):
        with start_sandbox(seed=seed, publish_delay=60) as sb:
            client = SandboxClient(sb)
            msg = publish(sb, client)
            published = int(__import__("datetime").datetime.fromisoformat(
                sb.control("published")[0]["published_at"]).timestamp())
            return msg, [(c["user_comment_id"], c["openid"], c["content"], c["create_time"] - published)
                         for c in record(sb, msg)["comments"]]

    first, again, other = comments(777), comments(777), comments(778)
    assert first == again and first[1]
    assert other[1] != first[1]


def test_only_fans_comments_come_from_followers_and_the_count_is_settable(module_sandbox, client):
    msg = publish(module_sandbox, client, only_fans=1)
    fans = {module_sandbox.state.openid_of(name) for name in module_sandbox.config.followers}
    article = record(module_sandbox, msg)
    assert article["only_fans"] is True and {c["openid"] for c in article["comments"]} <= fans
    with start_sandbox(comments_per_article=0) as none, start_sandbox(comments_per_article=9) as nine:
        assert record(none, publish(none, SandboxClient(none)))["comments"] == []
        assert len(record(nine, publish(nine, SandboxClient(nine)))["comments"]) == 9


def test_closed_comments_answer_88000_until_opened(module_sandbox, client):
    msg = publish(module_sandbox, client, open_comment=0, articles=2, via="mass")
    assert record(module_sandbox, msg, 1) == {"msg_data_id": msg, "index": 1, "open": False,
                                              "only_fans": False, "comments": []}
    for name, extra in (("list", {"begin": 0, "count": 10, "type": 0}), ("close", {}),
                        ("markelect", {"user_comment_id": 1}), ("reply/add", {"user_comment_id": 1,
                                                                             "content": "谢谢"})):
        errcode(client.json(f"/cgi-bin/comment/{name}", {"msg_data_id": msg, "index": 1, **extra}), 88000)
    assert client.json("/cgi-bin/comment/open", {"msg_data_id": int(msg), "index": 1}) == {
        "errcode": 0, "errmsg": "ok"}
    assert listing(client, msg, 1)["total"] == 0 and record(module_sandbox, msg, 1)["open"] is True
    assert client.json("/cgi-bin/comment/close", {"msg_data_id": msg, "index": 1})["errcode"] == 0
    errcode(listing(client, msg, 1), 88000)


def test_unknown_article_or_index_is_88001(module_sandbox, client):
    msg = publish(module_sandbox, client, articles=2)
    assert listing(client, msg, 1)["errcode"] == 0
    errcode(listing(client, msg, 2), 88001)
    errcode(listing(client, msg, -1), 88001)
    errcode(listing(client, "1234567"), 88001)
    errcode(client.json("/cgi-bin/comment/open", {"msg_data_id": "nope"}), 88001)


def test_list_pages_by_id_filters_by_type_and_checks_its_arguments(module_sandbox, client):
    msg = publish(module_sandbox, client)
    module_sandbox.control("clock", {"advance_seconds": TWO_DAYS})
    all_ids = [c["user_comment_id"] for c in listing(client, msg)["comment"]]
    page = [c["user_comment_id"] for c in listing(client, msg, begin=1, count=1)["comment"]]
    assert page == all_ids[1:2] and listing(client, msg, begin=1, count=1)["total"] == len(all_ids)
    target = {"msg_data_id": msg, "index": 0, "user_comment_id": all_ids[0]}
    for _ in range(2):  # idempotent
        assert client.json("/cgi-bin/comment/markelect", target)["errcode"] == 0
    elected = listing(client, msg, type=2)
    assert elected["total"] == 1 and elected["comment"][0]["comment_type"] == 1
    assert [c["user_comment_id"] for c in listing(client, msg, type=1)["comment"]] == all_ids[1:]
    for _ in range(2):
        assert client.json("/cgi-bin/comment/unmarkelect", target)["errcode"] == 0
    assert listing(client, msg, type=2)["total"] == 0
    for count in (50, 0):
        errcode(listing(client, msg, count=count), 88010)
    errcode(listing(client, msg, type=3), 47001)
    errcode(listing(client, msg, begin=-1), 47001)


def test_delete_hides_a_comment_and_unknown_comments_are_88008(module_sandbox, client):
    msg = publish(module_sandbox, client)
    module_sandbox.control("clock", {"advance_seconds": TWO_DAYS})
    first = listing(client, msg)["comment"][0]["user_comment_id"]
    target = {"msg_data_id": msg, "index": 0, "user_comment_id": first}
    assert client.json("/cgi-bin/comment/delete", target)["errcode"] == 0
    assert first not in [c["user_comment_id"] for c in listing(client, msg)["comment"]]
    assert record(module_sandbox, msg)["comments"][0]["deleted"] is True
    for name in ("markelect", "unmarkelect", "delete", "reply/add", "reply/delete"):
        errcode(client.json(f"/cgi-bin/comment/{name}", {**target, "content": "谢谢"}), 88008)
        errcode(client.json(f"/cgi-bin/comment/{name}", {**target, "user_comment_id": 999,
                                                          "content": "谢谢"}), 88008)


def test_a_reply_sent_twice_is_recorded_once(module_sandbox, client):
    msg = publish(module_sandbox, client)
    module_sandbox.control("clock", {"advance_seconds": TWO_DAYS})
    uid = listing(client, msg)["comment"][0]["user_comment_id"]
    target = {"msg_data_id": msg, "index": 0, "user_comment_id": uid}
    reply = "您好，可携带营业执照到区政务服务中心办理。"
    assert client.json("/cgi-bin/comment/reply/add", {**target, "content": reply})["errcode"] == 0
    errcode(client.json("/cgi-bin/comment/reply/add", {**target, "content": reply}), 88005)
    errcode(client.json("/cgi-bin/comment/reply/add", {**target, "content": ""}), 88007)
    errcode(client.json("/cgi-bin/comment/reply/add", {**target, "content": "长" * 601}), 88007)
    [listed] = [c for c in listing(client, msg)["comment"] if c["user_comment_id"] == uid]
    assert listed["reply"]["content"] == reply and isinstance(listed["reply"]["create_time"], int)
    [kept] = [c for c in record(module_sandbox, msg)["comments"] if c["user_comment_id"] == uid]
    assert [r["content"] for r in kept["replies"]] == [reply] and kept["reply_calls"] == 4
    assert kept["reply"]["content"] == reply

    for _ in range(2):  # also when there is no reply any more
        assert client.json("/cgi-bin/comment/reply/delete", target)["errcode"] == 0
    [listed] = [c for c in listing(client, msg)["comment"] if c["user_comment_id"] == uid]
    assert "reply" not in listed
    assert client.json("/cgi-bin/comment/reply/add", {**target, "content": "已转相关部门。"})["errcode"] == 0
    [kept] = [c for c in record(module_sandbox, msg)["comments"] if c["user_comment_id"] == uid]
    assert [(r["content"], r["deleted"]) for r in kept["replies"]] == [(reply, True), ("已转相关部门。", False)]


def test_comments_added_through_the_control_endpoint(module_sandbox, client):
    msg = publish(module_sandbox, client)
    now = int(__import__("datetime").datetime.fromisoformat(module_sandbox.control("clock")["now"]).timestamp())
    added = module_sandbox.control("comments", {"msg_data_id": msg, "content": "请问在哪里办理？",
                                                "openid": "o" + "x" * 27})
    assert added["content"] == "请问在哪里办理？" and added["visible"] is True and added["reply"] is None
    later = module_sandbox.control("comments", {"msg_data_id": msg, "index": 0, "content": "明天再问",
                                                "create_time": now + 3600})
    assert later["visible"] is False and later["user_comment_id"] == added["user_comment_id"] + 1
    listed = listing(client, msg)["comment"]
    assert [c["content"] for c in listed] == ["请问在哪里办理？"] and listed[0]["openid"] == "o" + "x" * 27
    import requests
    missing = requests.post(module_sandbox.url + "/sandbox/comments", json={"msg_data_id": "1", "content": "x"})
    assert missing.status_code == 404 and "msg_data_id" in missing.json()["message"]
    bad = requests.post(module_sandbox.url + "/sandbox/comments", json={"msg_data_id": msg, "content": ""})
    assert bad.status_code == 400 and "content" in bad.json()["message"]
    assert len(module_sandbox.control("comments")["articles"]) == 1


def test_88002_only_when_forced(module_sandbox, client):
    msg = publish(module_sandbox, client)
    module_sandbox.control("errors", {"path": "cgi-bin/comment/list", "errcode": 88002})
    forced = listing(client, msg)
    errcode(forced, 88002)
    assert forced["errmsg"].startswith("the article is limit for safety")
    assert listing(client, msg)["errcode"] == 0


def test_a_lapsed_verification_answers_48001_until_renewed(module_sandbox, client):
    msg = publish(module_sandbox, client)
    now = int(__import__("datetime").datetime.fromisoformat(module_sandbox.control("clock")["now"]).timestamp())
    module_sandbox.control("account-events", {"event": "verify_expired", "expired_time": now})
    errcode(listing(client, msg), 48001)
    errcode(client.json("/cgi-bin/comment/open", {"msg_data_id": msg}), 48001)
    errcode(client.json("/cgi-bin/freepublish/submit", {"media_id": "x"}), 48001)
    errcode(client.json("/cgi-bin/message/mass/sendall", {"filter": {"is_to_all": True}}), 48001)
    assert module_sandbox.control("account-events", {"event": "renewed"}) == {"verified": True}
    assert listing(client, msg)["errcode"] == 0
    assert publish(module_sandbox, client)
