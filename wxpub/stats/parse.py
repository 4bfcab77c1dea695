"""WeChat datacube answers turned into rows for our tables (pure: no I/O, no database).

Sources are stored as ``{scene_desc: users}`` without the 全部 entry (that is the total).
Cumulative figures (getarticletotaldetail) become the article's latest totals;
the daily tables hold per-day values, so cumulative series are differenced where needed.
"""

from __future__ import annotations

from datetime import date

ALL = "全部"


def split_msgid(msgid: str) -> tuple[str, int]:
    """``"2247490098_2"`` → ``("2247490098", 2)``; raises ValueError naming a malformed msgid."""
    head, sep, tail = str(msgid).rpartition("_")
    if not sep or not head or not tail.isdigit():
        raise ValueError(f"统计数据中的 msgid 格式不对：{msgid!r}（应为 msg_data_id_序号）")
    return head, int(tail)


def sources(items) -> dict[str, int]:
    """``[{"scene_desc", "user_count"}, …]`` → ``{scene: users}`` without 全部."""
    result: dict[str, int] = {}
    for item in items or []:
        name = item.get("scene_desc")
        if name and name != ALL:
            result[name] = result.get(name, 0) + int(item.get("user_count") or 0)
    return result


def _day(value) -> date:
    return date.fromisoformat(str(value))


def _rate(value) -> float | None:
    return None if value is None else float(value)


def _article_base(row: dict, *, publish_type: int | None, url_key: str) -> dict:
    msg_data_id, idx = split_msgid(row["msgid"])
    return {"msgid": row["msgid"], "msg_data_id": msg_data_id, "idx": idx,
            "title": str(row.get("title") or "")[:200],
            "content_url": str(row.get(url_key) or "")[:1024],
            "publish_date": _day(row["ref_date"]), "publish_type": publish_type}


def total_detail(answer: dict) -> tuple[list[dict], list[dict]]:
    """getarticletotaldetail → (article rows with latest totals, daily favourites/在看 rows)."""
    delayed = bool(answer.get("is_delay"))
    articles, daily = [], []
    for row in answer.get("list") or []:
        entries = sorted(row.get("detail_list") or [], key=lambda e: e["stat_date"])
        if not entries:
            continue
        last = entries[-1]
        article = _article_base(row, publish_type=row.get("publish_type"), url_key="content_url")
        article.update(
            read_user=int(last.get("read_user") or 0), share_user=int(last.get("share_user") or 0),
            collection_user=int(last.get("collection_user") or 0),
            zaikan_user=int(last.get("zaikan_user") or 0), like_user=int(last.get("like_user") or 0),
            comment_count=int(last.get("comment_count") or 0),
            read_finish_rate=_rate(last.get("read_finish_rate")),
            sources=sources(last.get("read_user_source")), is_delay=delayed)
        articles.append(article)
        before = {"collection_user": 0, "zaikan_user": 0}
        for entry in entries:
            now = {k: int(entry.get(k) or 0) for k in before}
            daily.append({"msgid": row["msgid"], "stat_date": _day(entry["stat_date"]),
                          **{k: now[k] - before[k] for k in now}})
            before = now
    return articles, daily


def article_days(read_answer: dict, share_answer: dict) -> list[dict]:
    """getarticleread + getarticleshare of the same day(s) → one daily row per (msgid, day)."""
    rows: dict[tuple[str, date], dict] = {}

    def row_for(item):
        key = (item["msgid"], _day(item["ref_date"]))
        return rows.setdefault(key, {"msgid": key[0], "stat_date": key[1], "read_user": 0,
                                     "share_user": 0, "sources": {"read": {}, "share": {}}})

    for item in read_answer.get("list") or []:
        row = row_for(item)
        detail = item.get("detail") or {}
        row["read_user"] = int(detail.get("read_user") or 0)
        row["sources"]["read"] = sources(detail.get("read_user_source"))
    for item in share_answer.get("list") or []:
        row = row_for(item)
        detail = item.get("detail") or {}
        row["share_user"] = int(detail.get("share_user") or 0)
        row["sources"]["share"] = sources(detail.get("share_user_source"))
    return list(rows.values())


def biz_days(answer: dict) -> list[dict]:
    """getbizsummary → ``[{"ref_date", "detail"}]`` (detail kept as WeChat sent it)."""
    return [{"ref_date": _day(item["ref_date"]), "detail": dict(item.get("detail") or {})}
            for item in answer.get("list") or []]

