"""History is never rewritten: v1 goes out through the real pipeline (against the sandbox), a case is
edited and the chapter composed again → v2 exists, v1 and its release stay exactly as sent, and
/preview/messages/<id> shows what was sent with a banner pointing at v2."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from wxpub.editorial import compose
from wxpub.infra.clock import format_local
from wxpub.library import editing
from wxpub.models import Article, Case, Chapter, Message, MessageVersion, Release
from wxpub.publishing import pipeline as publish
from wxpub.staff import users

from auth_helpers import login
from publishing_helpers import apply_and_approve, make_due, plan_file

WORKER = "test-host:1"
PASSWORD = "Zh4ngsan-2026!"
EDITED = "（此段为发布后修改的内容）"


def _snapshot(session, version_id: int) -> dict:
    version = session.get(MessageVersion, version_id)
    articles = session.scalars(select(Article).where(Article.message_version_id == version_id)
                               .order_by(Article.idx)).all()
    return {"version": (version.id, version.version, version.sha256, list(version.case_version_ids),
                        version.cover_sha256, version.findings, version.created_at),
            "articles": [(a.id, a.idx, a.title, a.author, a.digest, a.html, a.sha256, a.chars, a.bytes,
                          list(a.image_sha256s), a.cover_sha256, list(a.case_ids)) for a in articles]}


def _approvals(session, release_id: int) -> list:
    from wxpub.models import Signoff
    release = session.get(Release, release_id)
    return [(a.id, a.message_version_id, a.sha256, a.voided_at, a.void_reason)
            for a in session.scalars(select(Signoff).where(
                Signoff.message_version_id == release.sent_version_id))]


def test_a_published_version_stays_as_sent_when_the_chapter_is_composed_again(rt, tmp_path, sandbox_sleep):
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    with rt.db.session() as s:
        release = s.get(Release, release_id)
        message_id, v1_id = release.message_id, release.sent_version_id
        assert release.approved_version_id == v1_id == s.get(Message, message_id).current_version_id
        before, approvals = _snapshot(s, v1_id), _approvals(s, release_id)
        assert approvals and all(a[3] is None for a in approvals)
        chapter = s.get(Chapter, release.chapter_id)
        case = sorted(chapter.cases, key=lambda r: r.position)[0]
        case_id, lead = case.id, list(case.current_version.content["lead"])
        users.create_user(s, "zhangsan", PASSWORD, "editor", now=rt.clock.now(), actor="测试")

    # A typo is fixed after publication, and the chapter is composed again in the composer.
    with rt.db.session() as s:
        saved = editing.save_content(s, case_id, {"lead": [lead[0] + EDITED, *lead[1:]]},
                                     actor="zhangsan", now=rt.clock.now(), tz=rt.settings.tz)
        assert saved.created and saved.releases == []  # a published release is not "waiting"
    from wxpub import create_app
    app = create_app(runtime=rt)
    client, _headers = login(app, "zhangsan", PASSWORD)
    page = client.get(f"/chapters/{chapter.id}/compose").get_data(as_text=True)
    assert "案例库在这个版本生成之后有改动" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"title_template": "{chapter}篇丨{series}", "theme": "政务红", "cover": "series",
            "source": compose.DEFAULT_SOURCE, "action": "compose", "csrf_token": token}
    assert client.post(f"/chapters/{chapter.id}/compose", data=form).status_code == 302

    # The pipeline looks at the published release again: nothing to do, nothing re-rendered.
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) is None
    with rt.db.session() as s:
        message = s.get(Message, message_id)
        v2 = message.current_version
        assert v2.version == 2 and v2.id != v1_id
        assert EDITED in v2.articles[0].html
        assert _snapshot(s, v1_id) == before  # v1's rows and hashes exactly as sent
        assert EDITED not in before["articles"][0][5]
        release = s.get(Release, release_id)
        assert (release.state, release.sent_version_id, release.approved_version_id) == \
            ("published", v1_id, v1_id)
        assert _approvals(s, release_id) == approvals  # the approval of what was sent stands
        published_at = format_local(release.published_at, rt.settings.tz)
        v2_id = v2.id

    preview = client.get(f"/preview/messages/{message_id}").get_data(as_text=True)
    assert f"此消息已于 {published_at}（北京时间）发布（v1）" in preview
    assert "之后生成的新版本 v2 尚未发布" in preview and f'href="/preview/versions/{v2_id}"' in preview
    assert EDITED not in preview and lead[0][:20] in preview  # v1's content, as sent
    assert before["version"][2] in preview  # v1's hash
    newer = client.get(f"/preview/versions/{v2_id}").get_data(as_text=True)
    assert EDITED in newer and "这是 v2，未发布" in newer
    composer = client.get(f"/chapters/{chapter.id}/compose").get_data(as_text=True)
    assert f"此消息已于 {published_at} 发布（v1）" in composer
    assert f'href="/preview/versions/{v1_id}">查看发出的 v1' in composer
    assert "v2 尚未发布" in composer or "下面是之后生成的 v2，尚未发布" in composer


def test_an_edit_under_an_approved_release_makes_a_new_version_and_leaves_the_old_one(
        rt, tmp_path, sandbox_sleep):
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("法治环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    with rt.db.session() as s:
        release = s.get(Release, release_id)
        v1_id = release.approved_version_id
        before = _snapshot(s, v1_id)
        case = s.scalars(select(Case).where(Case.chapter_id == release.chapter_id)
                         .order_by(Case.position)).first()
        lead = list(case.current_version.content["lead"])
        editing.save_content(s, case.id, {"lead": [lead[0] + EDITED, *lead[1:]]}, actor="测试",
                             now=rt.clock.now(), tz=rt.settings.tz)
        # The edit voids v1's chain at once: the release waits for a new approval.
        s.expire_all()
        assert s.get(Release, release_id).state == "planned"
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) is None  # nothing to send
    with rt.db.session() as s:
        compose.recompose(s, s.get(Release, release_id).message_id, now=rt.clock.now(), actor="测试")
        s.commit()
        release = s.get(Release, release_id)
        assert release.sent_version_id in (None, v1_id) and release.approved_version_id is None
        assert s.get(Message, release.message_id).current_version.version == 2
        assert _snapshot(s, v1_id) == before
