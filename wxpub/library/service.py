"""Case library service: store imported cases idempotently with versions, and curate them.

Takes a database session and owns the commits. An import batch is one transaction: all or nothing.

Identity: a case is found again by its series, chapter and number ("n:7"), or by its title when the
source has no numbers ("t:<title>"). Content is compared by ``Case.content_hash``: the same content
changes nothing; different content adds a version and keeps the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core import content as c
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.models import AuditEntry, Case, CaseVersion, Chapter, MediaFile, Series
from wxpub.staff.actors import system_account

CASE_STATUSES = ("pending", "selected", "rejected")


@dataclass
class CaseOutcome:
    """What an import did (or, in a dry run, would do) with one case."""

    case: c.CaseContent
    action: str  # created | updated | unchanged
    case_id: int | None = None
    version: int | None = None
    previous: dict | None = None  # the content it replaced (``updated``)
    previous_hash: str = ""  # … and that content's hash


@dataclass
class ImportReport:
    """Summary of an applied (or simulated) import batch."""

    outcomes: list[CaseOutcome] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: str) -> int:
        """How many cases got ``action``."""
        return sum(1 for o in self.outcomes if o.action == action)


def case_key(case: c.CaseContent) -> str:
    """The identity of a case within its chapter."""
    return f"n:{case.number}" if case.number is not None else f"t:{case.title}"


def apply_import(session: Session, results: list[c.ImportResult], *, now: datetime,
                 actor: str | None = None, dry_run: bool = False, tz=None) -> ImportReport:
    """The import use case: store every case of ``results`` and commit once at the end, or roll
    everything back when ``dry_run`` (the report then says what would happen). ``actor``: who
    imports (default: the operating-system account running this, never a made-up name)."""
    try:
        report = store_import(session, results, now=now, actor=actor, tz=tz, notify=not dry_run)
        report.dry_run = dry_run
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def store_import(session: Session, results: list[c.ImportResult], *, now: datetime,
                 actor: str | None = None, tz=None, notify: bool = True) -> ImportReport:
    """Store every case of ``results`` (flushes only: the calling use case commits).

    Every case must go to a series and chapter that exist (or that its series folder defines):
    otherwise ``ValidationError`` lists every such problem and nothing is stored. ``notify``: tell
    the approvers of releases whose content changed (``wxpub.library.drift``)."""
    actor = actor or system_account()
    problems = check_targets(session, results)
    if problems:
        raise ValidationError("\n".join(message for _, message in problems))
    report = ImportReport()
    for result in results:
        for info in result.chapters:
            _chapter(session, info.series, info.name, intro=info.intro, order=info.order,
                     defined=result.defines_series)
        for case in result.cases:
            report.outcomes.append(_store_case(session, case, now=now))
    changed = [o for o in report.outcomes if o.action != "unchanged"]
    if notify:
        _notify_approvers(session, [o for o in changed if o.action == "updated"], actor, now, tz)
    for o in changed:  # one row per case: its content hash before and after
        session.add(AuditEntry(at=now, actor=actor, action="import", object_type="case",
                               object_id=str(o.case_id), before_sha256=o.previous_hash,
                               after_sha256=o.case.content_hash,
                               detail={"outcome": o.action, "version": o.version,
                                       "file": o.case.source.file or "", "title": o.case.title[:100]}))
    session.flush()
    return report


def _notify_approvers(session: Session, updated: list[CaseOutcome], actor: str, now: datetime,
                      tz) -> None:
    """A re-import that changed a case under a planned or approved release tells its approvers
    at once, as an edit in the browser does (``wxpub.library.drift``); ``tz`` (the office's, by
    default Beijing time) is how the notice names the release's time."""
    from zoneinfo import ZoneInfo

    from wxpub.library import drift

    for outcome in updated:
        drift.flag_change(session, session.get(Case, outcome.case_id), actor=actor, now=now,
                          tz=tz or ZoneInfo("Asia/Shanghai"), what="重新导入并更新")


def check_targets(session: Session, results: list[c.ImportResult]) -> list[tuple[int, str]]:
    """Every case whose series or chapter does not exist (and is not defined by its own series
    folder): ``(index of the result, Chinese message naming the file and the choices)``, one per
    file and chapter."""
    from wxpub.library.series import resolve_target

    defined: dict[str, set[str]] = {}
    for result in results:
        if result.defines_series:
            for info in result.chapters:
                defined.setdefault(info.series, set()).add(info.name)
            for case in result.cases:
                defined.setdefault(case.series, set()).add(case.chapter)
    problems, seen = [], set()
    for index, result in enumerate(results):
        for case in result.cases:
            key = (index, case.series, case.chapter)
            if key in seen:
                continue
            seen.add(key)
            try:
                resolve_target(session, file=case.source.file or "导入的文件", series=case.series,
                               chapter=case.chapter, defined=defined)
            except ValidationError as error:
                problems.append((index, str(error)))
    return problems


def _series(session: Session, name: str, *, defined: bool) -> Series:
    series = session.scalar(select(Series).where(Series.name == name))
    if series is None:
        if not defined:  # check_targets refused this already; never create a series by accident
            raise ValidationError(f"没有系列“{name}”，请先新建系列")
        series = Series(name=name)
        session.add(series)
        session.flush()
    return series


def _only_open_series(session: Session) -> str:
    names = list(session.scalars(select(Series.name).where(Series.is_open.is_(True))))
    return names[0] if len(names) == 1 else ""


def _chapter(session: Session, series_name: str, name: str, *, intro=(), order=None,
             defined: bool = False) -> Chapter:
    series_name = series_name or _only_open_series(session)
    if not series_name:
        raise ValidationError(f"案例“{name}”缺少所属系列，请指定导入到哪个系列")
    if not name:
        raise ValidationError(f"系列“{series_name}”下有案例缺少篇章，请指定导入到哪个篇章")
    series = _series(session, series_name, defined=defined)
    chapter = session.scalar(select(Chapter).where(Chapter.series_id == series.id,
                                                   Chapter.name == name))
    if chapter is None:
        if not defined:
            raise ValidationError(f"系列“{series_name}”没有篇章“{name}”，请先新建篇章")
        if order is None:
            order = (c.STANDARD_CHAPTERS.index(name) + 1 if name in c.STANDARD_CHAPTERS
                     else 100 + len(series.chapters))
        chapter = Chapter(series_id=series.id, name=name, position=order, intro=list(intro))
        session.add(chapter)
        session.flush()
    else:
        if intro and list(intro) != chapter.intro:
            chapter.intro = list(intro)
        if defined and order is not None and chapter.position != order:
            chapter.position = order
    return chapter


def _store_case(session: Session, case: c.CaseContent, *, now: datetime) -> CaseOutcome:
    if not case.series:  # a file naming no series goes to the only open one (check_targets)
        case = replace(case, series=_only_open_series(session))
    # check_targets has already refused every target that neither exists nor is defined by its
    # own series folder, so whatever is still missing here is a defined one.
    chapter = _chapter(session, case.series, case.chapter, defined=True)
    key = case_key(case)
    row = session.scalar(select(Case).where(Case.chapter_id == chapter.id, Case.key == key))
    digest = case.content_hash
    if row is not None and row.current_version is not None \
            and row.current_version.content_hash == digest:
        return CaseOutcome(case, "unchanged", row.id, row.current_version.version)
    for image in case.images:
        if session.get(MediaFile, image.sha256) is None:
            session.add(MediaFile(sha256=image.sha256, content_type=image.content_type,
                                  size=len(image.data), data=image.data, created_at=now))
    action = "updated"
    previous = row.current_version.content if row is not None and row.current_version else None
    previous_hash = row.current_version.content_hash if previous is not None else ""
    if row is None:
        action = "created"
        position = session.scalar(select(func.max(Case.position)).where(
            Case.chapter_id == chapter.id))
        row = Case(chapter_id=chapter.id, key=key, number=case.number, title=case.title,
                   unit=case.unit, position=(position or 0) + 1, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
    number = (session.scalar(select(func.max(CaseVersion.version)).where(
        CaseVersion.case_id == row.id)) or 0) + 1
    version = CaseVersion(case_id=row.id, version=number, content_hash=digest,
                          content=case.content_dict(), source_file=case.source.file,
                          source_position=case.source.position, created_at=now)
    session.add(version)
    session.flush()
    row.current_version_id = version.id
    row.current_version = version
    row.title, row.unit, row.number, row.updated_at = case.title, case.unit, case.number, now
    return CaseOutcome(case, action, row.id, number, previous, previous_hash)


# --- curation -------------------------------------------------------------------------------------

def get_case(session: Session, case_id: int) -> Case:
    """The case with this id, or ``NotFound``."""
    row = session.get(Case, case_id)
    if row is None:
        raise NotFound(f"没有编号为 {case_id} 的案例")
    return row


UNSET = object()


def update_case(session: Session, case_id: int, *, status=UNSET, score=UNSET, actor: str,
                now: datetime) -> Case:
    """Change a case's curation (status and/or score) as one use case: every field is checked
    before anything is written, so a bad score never leaves a new status behind."""
    if status is not UNSET and status not in CASE_STATUSES:
        raise ValidationError(f"案例状态只能是 {'、'.join(CASE_STATUSES)}，而不是 {status!r}")
    if score is not UNSET and score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise ValidationError(f"评分应为 0 到 100 之间的数字，而不是 {score!r}")
        if not 0 <= score <= 100:
            raise ValidationError(f"评分应在 0 到 100 之间，而不是 {score}")
    row = get_case(session, case_id)
    if status is not UNSET:
        before = row.status
        row.status = status
        session.add(AuditEntry(at=now, actor=actor, action=f"case.{status}", object_type="case",
                               object_id=str(case_id), detail={"from": before}))
    if score is not UNSET:
        row.score = score
        session.add(AuditEntry(at=now, actor=actor, action="case.score", object_type="case",
                               object_id=str(case_id), detail={"score": score}))
    row.updated_at = now
    session.commit()
    return row


def set_status(session: Session, case_id: int, status: str, *, actor: str, now: datetime) -> Case:
    """Select (择优), reject or reset a case."""
    return update_case(session, case_id, status=status, actor=actor, now=now)


def set_score(session: Session, case_id: int, score: float | None, *, actor: str,
              now: datetime) -> Case:
    """Record a case's score (0–100), or clear it with ``None``."""
    return update_case(session, case_id, score=score, actor=actor, now=now)


def reorder(session: Session, chapter_id: int, case_ids: list[int], *, actor: str,
            now: datetime) -> list[Case]:
    """Order a chapter's cases: ``case_ids`` first in the given order, the others after them."""
    chapter = session.get(Chapter, chapter_id)
    if chapter is None:
        raise NotFound(f"没有编号为 {chapter_id} 的篇章")
    cases = {row.id: row for row in chapter.cases}
    unknown = [i for i in case_ids if i not in cases]
    if unknown:
        raise ValidationError(f"案例 {unknown} 不属于篇章“{chapter.name}”")
    if len(set(case_ids)) != len(case_ids):
        raise ValidationError("排序列表中有重复的案例")
    rest = sorted((r for i, r in cases.items() if i not in case_ids),
                  key=lambda r: (r.position or 0, r.id))
    ordered = [cases[i] for i in case_ids] + rest
    for position, row in enumerate(ordered, start=1):
        row.position = position
    session.add(AuditEntry(at=now, actor=actor, action="chapter.reorder", object_type="chapter",
                           object_id=str(chapter_id), detail={"order": [r.id for r in ordered]}))
    session.commit()
    return ordered


def list_cases(session: Session, *, series: str | None = None, chapter: str | None = None,
               status: str | None = None) -> list[Case]:
    """Cases in series, chapter and position order, optionally filtered."""
    query = (select(Case).join(Chapter).join(Series)
             .order_by(Series.name, Chapter.position, Case.position, Case.id))
    if series:
        query = query.where(Series.name == series)
    if chapter:
        query = query.where(Chapter.name == chapter)
    if status:
        if status not in CASE_STATUSES:
            raise ValidationError(f"案例状态只能是 {'、'.join(CASE_STATUSES)}，而不是 {status!r}")
        query = query.where(Case.status == status)
    return list(session.scalars(query))


def case_to_content(row: Case, session: Session) -> c.CaseContent:
    """Rebuild the pure ``content.CaseContent`` of a stored case's current version (images included)."""
    version = row.current_version
    if version is None:
        raise Conflict(f"案例 {row.id} 还没有内容版本")
    data = version.content
    images = []
    for image in data.get("images", []):
        blob = session.get(MediaFile, image["sha256"])
        if blob is None:
            raise Conflict(f"案例 {row.id} 的图片 {image['name']} 缺失")
        images.append(c.Image(name=image["name"], data=blob.data,
                              content_type=image["content_type"], caption=image.get("caption", ""),
                              after=image.get("after")))
    return c.CaseContent(series=data["series"], chapter=data["chapter"], number=data["number"],
                  title=data["title"], unit=data.get("unit", ""), contact=data.get("contact", {}),
                  lead=tuple(data.get("lead", ())),
                  points=tuple(c.Point(p["lead"], p["rest"]) for p in data.get("points", ())),
                  closing=tuple(data.get("closing", ())), images=tuple(images),
                  source=c.Source(version.source_file, version.source_position))


def case_summary(row: Case) -> dict:
    """JSON form of a case for the API and ``--json`` output."""
    data = row.current_version.content if row.current_version else {}
    return {
        "id": row.id, "number": row.number, "title": row.title, "chapter": row.chapter.name,
        "series": row.chapter.series.name, "unit": row.unit, "status": row.status,
        "chapter_id": row.chapter_id, "series_id": row.chapter.series_id,
        "position": row.position, "score": row.score,
        "version": row.current_version.version if row.current_version else None,
        "content_hash": row.current_version.content_hash if row.current_version else None,
        "points": [p["lead"] + p["rest"] for p in data.get("points", [])],
        "paragraphs": [*data.get("lead", []), *data.get("closing", [])],
    }


# --- series ---------------------------------------------------------------------------------------

COVER_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAX_COVER_BYTES = 10 * 1024 * 1024


def set_series_cover(session: Session, series_name: str, data: bytes, filename: str, *,
                     actor: str, now: datetime) -> Series:
    """Use an image as the series' cover (JPEG or PNG up to 10 MB; WeChat's permanent-image rules)."""
    series = session.scalar(select(Series).where(Series.name == series_name))
    if series is None:
        raise NotFound(f"没有系列“{series_name}”（请先导入案例）")
    media = store_cover_image(session, data, filename, now=now)
    series.cover_sha256 = media.sha256
    session.add(AuditEntry(at=now, actor=actor, action="series.cover", object_type="series",
                           object_id=str(series.id), detail={"sha256": media.sha256}))
    session.commit()
    return series


def store_cover_image(session: Session, data: bytes, filename: str, *, now: datetime) -> c.Image:
    """Check an uploaded cover (JPEG or PNG up to 10 MB; WeChat's permanent-image rules) and keep
    its bytes as a ``MediaFile`` (added to the session, not committed): the series' cover and a
    chapter's own cover (``wxpub.editorial.settings``) pass the same checks."""
    import io

    from PIL import Image as PILImage, UnidentifiedImageError

    if not data:
        raise ValidationError(f"{filename}：文件是空的")
    if len(data) > MAX_COVER_BYTES:
        raise ValidationError(f"{filename}：封面图片不能超过 10 MB（微信永久素材的上限）")
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(f"{filename}：不是可识别的图片文件") from None
    if kind not in COVER_TYPES:
        raise ValidationError(f"{filename}：封面只支持 JPG 或 PNG，这是 {kind}")
    media = c.Image(name=filename, data=data, content_type=COVER_TYPES[kind])
    if session.get(MediaFile, media.sha256) is None:
        session.add(MediaFile(sha256=media.sha256, content_type=media.content_type, size=len(data),
                              data=data, created_at=now))
    return media
