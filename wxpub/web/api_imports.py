"""``POST /api/v1/imports``: import uploaded files in one step, answering what ``wxpub import
--json`` prints.

multipart/form-data fields:

* ``files``   one or many files (.docx, .xlsx, .md, .markdown, .txt, .html, .htm);
* ``series``, ``chapter``  names, used where the files do not say (as ``--series``/``--chapter``);
* ``dry_run`` true/1/yes: only tell what would happen.

200: ``{"cases": [...], "created", "updated", "unchanged", "dry_run", "errors": [...],
"warnings": [...], "files": [{"name", "size", "ok", "errors", "cases"}], "applied"}``; each case
also has ``changes`` (an update's field-by-field character diff). In a dry run a new case has no
``id`` yet. When it is not a dry run and any file has an error nothing is imported: 400 with the
same object plus ``"error": "invalid"`` and a ``message`` naming the files. No files: 400. Over
the size limit (``imports.MAX_BATCH_BYTES`` in all): 413 ``{"error": "too_large", ...}``.
Login, the CSRF header and the editor role are checked by ``wxpub.web.api``.
"""

from __future__ import annotations

from flask import jsonify, request
from pydantic import Field

from wxpub.core.errors import ValidationError
from wxpub.library import imports
from wxpub.web import api_common, db_session, runtime, upload_limit
from wxpub.web.api_schema import Query, arr, operation, shape

IMPORTED = shape({"cases": arr("object"), "created": "integer", "updated": "integer", "unchanged": "integer",
                  "dry_run": "boolean", "errors": arr("object"), "warnings": arr("any"),
                  "files": arr(shape({"name": "string", "size": "integer", "ok": "boolean",
                                      "errors": arr("object"), "cases": arr("object")})),
                  "applied": "boolean"})
# A batch with errors answers the plan too; any other 400 (no files, a bad field) only error + message.
REFUSED = {**IMPORTED, "properties": {**IMPORTED["properties"], "error": {"type": "string"},
                                      "message": {"type": "string"}}, "required": ["error", "message"]}


class ImportForm(Query):
    """The multipart form's text fields (the files come in ``files``)."""

    series: str = Field("", description="系列名称（文件本身没有写明时使用）")
    chapter: str = Field("", description="篇章名称（文件本身没有写明时使用）")
    dry_run: str = Field("", description="true/1/yes：只报告将会怎样，不导入")


@upload_limit(imports.MAX_BATCH_BYTES)
@operation("上传文件导入案例（.docx .xlsx .md .txt .html；一批全成或全不导入）", tag="案例库", form=ImportForm,
           answer=IMPORTED, errors=(413,),
           others={400: ("有文件出错时本批次不导入：答复与成功时相同，另带 error 与 message", REFUSED)})
def create_import(form: ImportForm):
    """POST /api/v1/imports — see the module docstring."""
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files")]
    if not files:
        raise ValidationError("没有收到文件：请用 multipart/form-data 在 files 字段上传一个或多个文件")
    dry_run = api_common.flag(form.dry_run or request.args.get("dry_run"))
    result = imports.import_now(db_session(), files, series=form.series,
                                chapter=form.chapter, dry_run=dry_run,
                                actor=api_common.actor(), now=runtime().clock.now())
    data = imports.plan_json(result)
    if not dry_run and result.errors:
        bad = [f for f in result.files if not f.ok]
        first = bad[0].errors[0]
        where = f"（{first['location']}）" if first["location"] else ""
        data.update(error="invalid", message=(
            f"{len(bad)} 个文件有错误，本批次未导入任何内容："
            + "、".join(f.name for f in bad) + f"。第一个错误：{first['file']}{where}：{first['message']}"))
        return jsonify(data), 400
    return jsonify(data)


ROUTES = [("/imports", create_import, ["POST"])]
