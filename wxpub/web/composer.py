"""The composer (``/chapters/<id>/compose``): a chapter's layout settings, 生成, and the phone preview
of every installment beside its findings.

* ``GET  /chapters/<id>/compose``   the settings form; per installment the stored version at 375 px
  with its findings (each a link to its place in the preview), versions and what was published
* ``POST /chapters/<id>/compose``   ``action=save`` (保存设置) or ``action=compose`` (生成: save, then
  compose: a new message version per installment whose content changed); then back with a flash

The preview is the stored article HTML exactly as it will be sent, with anchors added for this
page only (``wxpub.core.render.preview.annotate_article``): the stored HTML never carries them.
Choosing a finding is a plain ``#anchor`` link (highlighted by CSS ``:target``; composer.js also
scrolls it into view); a case's paragraphs open the case in the editor.
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for

from wxpub.core.errors import WxpubError
from wxpub.core.lint import Location
from wxpub.core.render import MAX_DIGEST_CHARS, MAX_TITLE_CHARS, list_themes
from wxpub.core.render.preview import annotate_article, case_shape, finding_anchor, with_images
from wxpub.core.render.titles import part_labels
from wxpub.editorial import compose, history, settings as chapter_settings
from wxpub.library import series as series_service, service
from wxpub.web import db_session, runtime, upload_limit
from wxpub.web.desk import actor, done, editor_only, login_only, now

bp = Blueprint("composer", __name__)
MAX_COVER_UPLOAD = service.MAX_COVER_BYTES + 512 * 1024  # the form's own bytes on top of the image
FORM_FIELDS = ("title_template", "intro", "theme", "author", "cover", "source", "editors")


def editor_href(case_id: int) -> str:
    """Where a case opens in the editor."""
    return f"/library/cases/{case_id}"


@bp.get("/chapters/<id:chapter_id>/compose")
@login_only
def page(chapter_id: int):
    """The composer of one chapter."""
    return _page(chapter_id)


@bp.post("/chapters/<id:chapter_id>/compose")
@editor_only
@upload_limit(MAX_COVER_UPLOAD)
def submit(chapter_id: int):
    """保存设置 (``action=save``) or 生成 (``action=compose``) with the form's settings."""
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    upload = request.files.get("cover_file")
    cover = (upload.read(), upload.filename) if upload is not None and upload.filename else None
    session = db_session()
    try:
        if request.form.get("action") == "compose":
            rt = runtime()
            composed = chapter_settings.compose(
                session, chapter_id, values, save=True, cover_upload=cover, actor=actor(), now=now(),
                lexicon=compose.office_lexicon(rt.settings), settings=rt.settings)
        else:
            chapter_settings.save_settings(session, chapter_id, values, cover_upload=cover,
                                           actor=actor(), now=now())
            composed = None
    except WxpubError as refused:
        return _page(chapter_id, values=values, error=refused.message,
                     error_field=getattr(refused, "field", None),
                     status=refused.http_status if 400 <= refused.http_status < 500 else 400)
    if composed is None:
        done("已保存排版设置。点“生成”按新设置排版。")
        return redirect(url_for("composer.page", chapter_id=chapter_id))
    done(_composed_message(composed))
    return redirect(url_for("composer.page", chapter_id=chapter_id) + "#result")


def _composed_message(composed: list) -> str:
    parts = []
    several = len(composed) > 1
    for item in composed:
        where = f"第 {item.message.part} 期消息" if several else "消息"
        if item.created:
            parts.append(f"已生成{where}的新版本 v{item.version.version}")
        else:
            parts.append(f"{where}内容没有变化，仍是 v{item.version.version}（没有生成新版本）")
    blocking = sum(1 for item in composed for f in item.findings if f.severity == "blocking")
    warnings = sum(1 for item in composed for f in item.findings if f.severity != "blocking")
    tail = (f"检查发现 {blocking} 个阻断问题（必须修改后才能审批）、{warnings} 个提示。" if blocking
            else f"检查发现 {warnings} 个提示。" if warnings else "检查未发现问题。")
    return "；".join(parts) + "。" + tail


def _page(chapter_id: int, *, values: dict | None = None, error: str | None = None,
          error_field: str | None = None, status: int = 200):
    session = db_session()
    chapter = series_service.get_chapter(session, chapter_id)
    saved = chapter_settings.current(chapter)
    if values is None:
        values = {**saved, "intro": "\n".join(saved["intro"]), "editors": "、".join(saved["editors"])}
    messages = history.messages_of(session, chapter.id)
    all_versions = history.versions(session, messages)
    installments = [_installment(m, all_versions.get(m.id, [])) for m in messages]
    installments = [i for i in installments if i is not None]
    cases = history.cases_of(session, [i["version"] for i in installments])
    labels = part_labels(sum(len(i["articles"]) for i in installments))
    running = 0
    for inst in installments:
        for article in inst["articles"]:
            article["label"] = labels[running] if running < len(labels) else ""
            running += 1
        _annotate(inst, cases.get(inst["version"].id, {}))
    chosen = compose.chosen_cases(chapter)
    stale = bool(installments) and [r.current_version_id for r in chosen] != list(
        installments[0]["version"].case_version_ids or [])
    return render_template(
        "composer/compose.html", chapter=chapter, series=chapter.series, values=values,
        saved=saved, error=error, error_field=error_field, themes=list_themes(),
        installments=installments, article_count=running, labels=[lab for lab in labels if lab],
        chosen=chosen, stale=stale,
        placeholders=chapter_settings.PLACEHOLDERS, cover_names=chapter_settings.COVER_NAMES,
        field_names=chapter_settings.FIELD_NAMES,
        title_example=chapter_settings.title_example(chapter, values.get("title_template") or "",
                                                     labels[0] if labels else ""),
        max_title=MAX_TITLE_CHARS, max_digest=MAX_DIGEST_CHARS,
        media_url=lambda sha: url_for("preview.media", sha256=sha)), status


def _installment(message, infos: list) -> dict | None:
    version = message.current_version
    if version is None:
        return None
    current = next((i for i in infos if i.version.id == version.id), None)
    sent = next((i for i in infos if i.release is not None), None)  # newest first
    return {"message": message, "version": version, "info": current, "versions": infos,
            "sent": sent, "prefix": f"m{message.part}",
            "articles": [{"row": row, "prefix": f"m{message.part}-a{row.idx}"}
                         for row in version.articles]}


def _annotate(inst: dict, cases: dict) -> None:
    """Anchors, editor links, image URLs and each finding's anchor, for one installment."""
    shapes = {n: case_shape(n, ref.content, editor_href(ref.case_id)) for n, ref in cases.items()}
    cursor: dict[int, int] = {}
    by_article: dict[int, list] = {}
    inst["findings"] = []
    for article in inst["articles"]:
        row = article["row"]
        html, anchors = annotate_article(row.html, article["prefix"], shapes, cursor)
        article["html"] = with_images(html, {sha: url_for("preview.media", sha256=sha)
                                             for sha in row.image_sha256s})
        article["anchors"] = anchors
        article["findings"] = by_article.setdefault(row.idx - 1, [])
    for data in inst["version"].findings or []:
        location = Location(data.get("article"), data.get("case"), data.get("paragraph"),
                            data.get("field") or "body")
        item = {**data, "where": location.describe()}
        article = next((a for a in inst["articles"] if a["row"].idx - 1 == location.article), None)
        if article is None:
            item["anchor"] = inst["prefix"]
            inst["findings"].append(item)
            continue
        item["anchor"] = finding_anchor(location, article["prefix"], article["anchors"],
                                        data.get("text", ""))
        item["case_id"] = cases[location.case].case_id if location.case in cases else None
        article["findings"].append(item)


def init_app(app: Flask) -> None:
    """Register the composer."""
    app.register_blueprint(bp)

