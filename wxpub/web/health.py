"""Health page for load balancers and the demo: database reachable, schema current."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template_string
from sqlalchemy import text

from wxpub.infra import migrate
from wxpub.web import runtime

bp = Blueprint("health", __name__)


def _status() -> dict:
    rt = runtime()
    status = {"status": "ok", "database": "ok", "schema": None, "schema_head": None,
              "wechat_api_url": rt.settings.wechat_api_url, "timezone": rt.settings.timezone}
    try:
        with rt.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status["schema"] = migrate.current_revision(rt.db)
        status["schema_head"] = migrate.head_revision(rt.db)
        if status["schema"] != status["schema_head"]:
            status["status"] = "degraded"
    except Exception as error:  # the health page reports, it must not crash
        status.update(status="error", database=f"不可用：{type(error).__name__}")
    return status


@bp.get("/healthz")
def healthz():
    """JSON health: 200 when the database answers and the schema is current, else 503."""
    status = _status()
    return jsonify(status), (200 if status["status"] == "ok" else 503)


@bp.get("/")
def home():
    """A logged-in person goes to their 工作台; anyone else gets a plain Chinese landing page that
    says whether the service is healthy."""
    from flask import redirect
    from flask_login import current_user
    if current_user.is_authenticated:
        return redirect("/workbench")
    status = _status()
    return render_template_string(
        """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>wxpub 新政服发布后台</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>新政服 · 发布后台</h1>
<p>服务状态：<strong>{{ '正常' if s.status == 'ok' else '异常' }}</strong></p>
<ul><li>数据库：{{ s.database }}</li><li>数据库结构版本：{{ s.schema or '未初始化' }}（最新 {{ s.schema_head }}）</li>
<li>微信接口地址：{{ s.wechat_api_url }}</li><li>时区：{{ s.timezone }}</li></ul>
<p><a href="/login">登录</a></p></body></html>""", s=status), (200 if status["status"] == "ok" else 503)
