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

from wxpub.core.errors import ValidationError
from wxpub.library import imports
from wxpub.web import api_common, db_session, runtime, upload_limit


@upload_limit(imports.MAX_BATCH_BYTES)
def create_import():
    """POST /api/v1/imports — see the module docstring."""
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files")]
    if not files:
        raise ValidationError("没有收到文件：请用 multipart/form-data 在 files 字段上传一个或多个文件")
    dry_run = api_common.flag(request.form.get("dry_run", request.args.get("dry_run")))
    result = imports.import_now(db_session(), files, series=request.form.get("series", ""),
                                chapter=request.form.get("chapter", ""), dry_run=dry_run,
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
