"""Import by upload: files from the browser (or the API), a dry run first, then exactly that applied.

``stage`` keeps the uploaded bytes in an ``ImportBatch``; ``plan`` reads them with the same importers
as ``wxpub import`` and tells, per file and per case, 新增 / 更新 (with the changes) / 未变 and every
error with its row, paragraph or line; ``confirm`` applies the files that had no error, in one
transaction, and only when the outcome is still the one the dry run showed (the digest of the plan
the page showed, posted back): if the library changed in between, the staff see the new dry run
instead of an import they did not review. ``ImportBatch.plan_digest`` is the outcome at upload time
(``changed_since_upload``); ``applied`` reads back what a confirmed batch did (its audit entry).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import PurePath

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from wxpub.core.content import ImportResult, SourceWarning
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.core.importers import MAX_FILE_BYTES, SourceError, import_bytes
from wxpub.infra.db import commit_or_roll_back
from wxpub.library import service, sources
from wxpub.library.series import resolve_target
from wxpub.models import AuditEntry, ImportBatch, ImportBatchFile

MAX_FILES = 50
MAX_BATCH_BYTES = 60 * 1024 * 1024
# What the upload accepts (the same importers as the command line; folders are a CLI matter).
UPLOAD_TYPES = sources.SUPPORTED
KEEP_BATCHES = timedelta(days=1)


@dataclass
class FilePlan:
    """What the import does with one file: its cases' outcomes, or its errors."""

    name: str
    size: int
    outcomes: list[service.CaseOutcome] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return not self.errors


@dataclass
class BatchPlan:
    """The dry run of a whole upload (or, after ``confirm``, what was applied)."""

    files: list[FilePlan]
    digest: str
    applied: bool = False

    @property
    def outcomes(self) -> list[service.CaseOutcome]:
        """Every case outcome of the files without errors."""
        return [o for f in self.files if f.ok for o in f.outcomes]

    @property
    def errors(self) -> list[dict]:
        """Every error of every file."""
        return [e for f in self.files for e in f.errors]

    def count(self, action: str) -> int:
        """How many cases get ``action``."""
        return sum(1 for o in self.outcomes if o.action == action)


def check_type(name: str) -> None:
    """Refuse a file whose type the importers do not read, naming it and what is supported."""
    suffix = PurePath(name).suffix.lower()
    if suffix in UPLOAD_TYPES:
        return
    # The same types and "save as" advice as the command line (``sources``), in upload words.
    program, target = sources.SAVE_AS.get(suffix, ("", ""))
    hint = f"请在 {program} 中“另存为” {target} 后再上传" if program else ""
    kind = f"“{suffix}”类型" if suffix else "没有扩展名的"
    raise SourceError(name, "", f"不支持导入{kind}的文件。支持：Word（.docx）、Excel（.xlsx）、"
                      f"Markdown（.md）、网页（.txt、.html）。{hint}".rstrip(), "unsupported_type")


def _size(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{round(size / 1024)} KB"


def _check_files(files: list[tuple[str, bytes]]) -> None:
    if not files:
        raise ValidationError("请选择要导入的文件")
    if len(files) > MAX_FILES:
        raise ValidationError(f"一次最多导入 {MAX_FILES} 个文件，这次选了 {len(files)} 个，请分批导入")
    total = sum(len(data) for _, data in files)
    if total > MAX_BATCH_BYTES:
        raise ValidationError(f"这批文件共 {_size(total)}，一次最多 {_size(MAX_BATCH_BYTES)}，"
                              "请分批导入")
    for name, _ in files:
        if not name or len(name) > 300:
            raise ValidationError("文件名为空或过长（最多 300 个字符）")


def _base_name(name: str) -> str:
    """The file's own name without any folder a browser or client sent with it (/ or \\)."""
    return PurePath(name.replace("\\", "/")).name or name


def stage(session: Session, files: list[tuple[str, bytes]], *, series: str = "", chapter: str = "",
          actor: str, now: datetime) -> ImportBatch:
    """Keep an upload for its dry run and confirmation; commits. Batches older than a day go."""
    _check_files(files)
    files = [(_base_name(name), data) for name, data in files]
    series, chapter = (series or "").strip(), (chapter or "").strip()
    digest = plan(session, files, series=series, chapter=chapter).digest  # rolls its dry run back
    session.execute(delete(ImportBatch).where(ImportBatch.created_at < now - KEEP_BATCHES))
    batch = ImportBatch(token=secrets.token_urlsafe(24), created_by=actor, created_at=now,
                        series=series, chapter=chapter, plan_digest=digest)
    batch.files = [ImportBatchFile(position=i, name=name, data=data)
                   for i, (name, data) in enumerate(files)]
    session.add(batch)
    session.commit()
    return batch


def get_batch(session: Session, token: str, *, actor: str) -> ImportBatch:
    """The staged upload ``token`` of ``actor`` (another person's upload is not found)."""
    batch = session.scalar(select(ImportBatch).where(ImportBatch.token == token))
    if batch is None or batch.created_by != actor:
        raise NotFound("没有这批上传的文件（可能已过期，请重新上传）")
    return batch


def _files(batch: ImportBatch) -> list[tuple[str, bytes]]:
    return [(f.name, f.data) for f in batch.files]


def _read(name: str, data: bytes, series: str, chapter: str) -> ImportResult:
    check_type(name)
    if not data:
        raise SourceError(name, "", "文件是空的。", "empty")
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(name, "", f"文件太大（{len(data) / 1048576:.1f} MB），上限为 "
                          f"{MAX_FILE_BYTES // 1048576} MB。", "too_large")
    return import_bytes(data, name, series=series or None, chapter=chapter or None)


def _error(name: str, error: SourceError) -> dict:
    return {"file": name, "location": error.location, "message": error.message, "code": error.code}


def _target_errors(session: Session, name: str, result: ImportResult) -> list[dict]:
    """Where the file's cases would go but cannot (no such series or chapter): one error per
    series and chapter, at the first case going there, with the choices and the nearest one."""
    errors, seen = [], set()
    for case in result.cases:
        if (case.series, case.chapter) in seen:
            continue
        seen.add((case.series, case.chapter))
        try:
            resolve_target(session, file=name, series=case.series, chapter=case.chapter)
        except ValidationError as error:
            others = sum(1 for c in result.cases if (c.series, c.chapter) == (case.series, case.chapter))
            where = case.source.position + (f"等 {others} 个案例" if others > 1 else "")
            errors.append({"file": name, "location": where, "message": str(error),
                           "code": "target"})
    return errors


def plan(session: Session, files: list[tuple[str, bytes]], *, series: str = "",
         chapter: str = "") -> BatchPlan:
    """The dry run: read every file, check where its cases go, and simulate the import of the
    files without errors (nothing is written; a created case has no id yet)."""
    plans, results = [], []
    for name, data in files:
        file_plan = FilePlan(name=name, size=len(data))
        plans.append(file_plan)
        try:
            result = _read(name, data, series, chapter)
        except SourceError as error:
            file_plan.errors.append(_error(name, error))
            continue
        file_plan.warnings = list(result.warnings)
        file_plan.errors = _target_errors(session, name, result)
        if file_plan.ok:
            results.append((file_plan, result))
    if results:
        report = service.apply_import(session, [r for _, r in results], now=_epoch(),
                                      dry_run=True)
        _fill([p for p, _ in results], [r for _, r in results], report)
        for file_plan, _ in results:
            file_plan.warnings += replaced_warnings(file_plan)
        for outcome in report.outcomes:
            if outcome.action == "created":  # the id of a rolled-back row means nothing
                outcome.case_id = None
    return BatchPlan(files=plans, digest=_digest(plans))


def _epoch() -> datetime:
    return datetime(2000, 1, 1, tzinfo=timezone.utc)  # a dry run writes nothing: no real time


def _digest(plans: list[FilePlan]) -> str:
    data = [[p.name, [[o.case.series, o.case.chapter, service.case_key(o.case), o.action,
                       o.case.content_hash, o.case_id] for o in p.outcomes],
             [e["message"] for e in p.errors]] for p in plans]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def plan_batch(session: Session, batch: ImportBatch) -> BatchPlan:
    """The dry run of a staged upload, as it would be applied now."""
    return plan(session, _files(batch), series=batch.series, chapter=batch.chapter)


def changed_since_upload(batch: ImportBatch, current: BatchPlan) -> bool:
    """True when the library changed since the upload so that its dry run is not the same."""
    return current.digest != batch.plan_digest


def confirm(session: Session, token: str, *, digest: str, actor: str, now: datetime) -> BatchPlan:
    """确认导入: apply the staged upload's error-free files exactly as the dry run that was shown
    (``digest``) said; one transaction. Refused (``Conflict``) when the batch was applied already
    or when the outcome is no longer that one (then the batch keeps the new plan's digest)."""
    batch = get_batch(session, token, actor=actor)
    if batch.applied_at is not None:
        raise Conflict("这批文件已经导入过了，不会重复导入")
    current = plan_batch(session, batch)  # rolls back: nothing of this transaction is written yet
    if digest != current.digest:
        batch.plan_digest = current.digest
        session.commit()
        raise Conflict("预览之后案例库有了变化，导入结果会与刚才看到的不同。请查看下面新的预览后再确认")
    good = [(name, data) for (name, data), p in zip(_files(batch), current.files) if p.ok]
    if not good:
        raise ValidationError("没有可以导入的文件（每个文件都有错误），请修改后重新上传")
    results = [_read(name, data, batch.series, batch.chapter) for name, data in good]

    def work():
        claimed = session.execute(update(ImportBatch).where(ImportBatch.id == batch.id,
                                                            ImportBatch.applied_at.is_(None))
                                  .values(applied_at=now))
        if claimed.rowcount != 1:  # another confirm of the same batch got there first
            raise Conflict("这批文件已经导入过了，不会重复导入")
        session.add(AuditEntry(at=now, actor=actor, action="import.upload",
                               object_type="import_batch", object_id=str(batch.id),
                               detail=_record(current)))
        report = service.store_import(session, results, now=now, actor=actor)
        _fill([p for p in current.files if p.ok], results, report)
        current.applied = True
        return current
    return commit_or_roll_back(session, work)


def _fill(file_plans: list[FilePlan], results: list[ImportResult], report) -> None:
    """Hand the import's outcomes (in the order of ``results``' cases) back to their files."""
    outcomes = iter(report.outcomes)
    for file_plan, result in zip(file_plans, results):
        file_plan.outcomes = [next(outcomes) for _ in result.cases]


def _record(result: BatchPlan) -> dict:
    """What a confirmed upload does, per file, for its audit entry and the result page."""
    return {"files": [{"name": f.name, "size": f.size, "errors": f.errors if not f.ok else [],
                       "cases": [{"title": o.case.title, "series": o.case.series,
                                  "chapter": o.case.chapter, "number": o.case.number,
                                  "action": o.action} for o in f.outcomes]}
                      for f in result.files],
            "created": result.count("created"), "updated": result.count("updated"),
            "unchanged": result.count("unchanged"),
            "skipped": [f.name for f in result.files if not f.ok]}


def applied(session: Session, batch: ImportBatch) -> dict | None:
    """What a confirmed batch did (``_record``'s shape), or None when it was not confirmed."""
    if batch.applied_at is None:
        return None
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.action == "import.upload", AuditEntry.object_type == "import_batch",
        AuditEntry.object_id == str(batch.id)).order_by(AuditEntry.id.desc()).limit(1))
    return dict(entry.detail) if entry is not None else {"files": [], "skipped": []}


def import_now(session: Session, files: list[tuple[str, bytes]], *, series: str = "",
               chapter: str = "", dry_run: bool = False, actor: str, now: datetime) -> BatchPlan:
    """The API's one-step import: the dry run, or (``dry_run`` false) the import of every file —
    refused as a whole, with every error, when any file has one (as ``wxpub import``)."""
    _check_files(files)
    files = [(_base_name(name), data) for name, data in files]
    series, chapter = (series or "").strip(), (chapter or "").strip()
    result = plan(session, files, series=series, chapter=chapter)
    if dry_run or result.errors:
        return result
    results = [_read(name, data, series, chapter) for name, data in files]

    def work():
        _fill(result.files, results, service.store_import(session, results, now=now, actor=actor))
        result.applied = True
        return result
    return commit_or_roll_back(session, work)


def replaced_warnings(file_plan: FilePlan) -> list[SourceWarning]:
    """An 更新 whose title has little in common with the case it would replace is most likely a
    file imported into the wrong chapter (cases are found again by their number): say so loudly
    in the dry run, before 确认导入 turns someone else's case into a new version of this one."""
    from difflib import SequenceMatcher

    out = []
    for outcome in file_plan.outcomes:
        old = (outcome.previous or {}).get("title", "")
        if outcome.action != "updated" or not old:
            continue
        if SequenceMatcher(None, old, outcome.case.title, autojunk=False).ratio() < 0.5:
            out.append(SourceWarning(
                file_plan.name, outcome.case.source.position,
                f"将替换篇章“{outcome.case.chapter}”中编号相同、标题却不同的案例《{old}》"
                f"（新标题《{outcome.case.title}》）。请确认导入的篇章是否选对"))
    return out


def changes(outcome: service.CaseOutcome) -> list[dict]:
    """What an ``updated`` case changes, field by field (character-level), for the dry run."""
    from wxpub.core.textdiff import diff_fields

    if outcome.action != "updated" or outcome.previous is None:
        return []
    return [{"field": d.field, "label": d.label, "kind": d.kind, "old": d.old, "new": d.new,
             "ops": [list(op) for op in d.ops]}
            for d in diff_fields(outcome.previous, outcome.case.content_dict())]


def plan_json(result: BatchPlan) -> dict:
    """The ``wxpub import --json`` object for an upload (+ ``files``: the outcome per file)."""
    from wxpub.library.reports import report_json

    report = service.ImportReport(outcomes=result.outcomes, dry_run=not result.applied)
    data = report_json(report, [_AsError(e) for e in result.errors],
                       [w for f in result.files for w in f.warnings])
    for case, outcome in zip(data["cases"], report.outcomes):
        case["changes"] = changes(outcome)
    data["files"] = [{"name": f.name, "size": f.size, "ok": f.ok, "errors": f.errors,
                      "cases": [{"title": o.case.title, "action": o.action, "id": o.case_id}
                                for o in f.outcomes]} for f in result.files]
    data["applied"] = result.applied
    return data


@dataclass
class _AsError:
    """A dict error seen as a ``SourceError`` by ``report_json``."""

    data: dict

    def __getattr__(self, name):
        return self.data[name]
