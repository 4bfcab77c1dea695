"""``wxpub comments pull|list|reply|elect|unelect|delete|delete-reply|open|close``: readers' comments
(留言) from the command line, through the same functions as the ``/comments`` pages and
``/api/v1/comments`` (``wxpub.comments``).

``list --json`` prints what ``GET /api/v1/comments`` answers. Writes act as a named staff account
(``--as``): replying and 精选 are for editors, approvers and admins; deleting a comment and opening or
closing comments for approvers and admins. A refusal (role, unknown comment, a reply with blocking
proofreading findings — listed —, WeChat refusing) prints the reason on standard error and exits 1.
"""

from __future__ import annotations

import json
import sys

import click

from wxpub.cli.actor import as_option
from wxpub.cli.alert import pad, shorten
from wxpub.cli.context import get_runtime
from wxpub.comments import queries
from wxpub.core.errors import WxpubError

AS_HELP = "以哪位工作人员的账号操作（须为已启用的账号；回复、精选：编辑、终审或管理员；删除留言、打开/关闭留言：终审或管理员）"
as_required = as_option(required=True, help=AS_HELP)
CONTENT_COLUMNS = 36
DONE = {"reply": "已回复，读者在文章下可以看到", "delete_reply": "已删除回复", "elect": "已设为精选",
        "unelect": "已取消精选", "delete": "已删除这条留言", "open": "已打开文章留言", "close": "已关闭文章留言"}


def register(group: click.Group) -> None:
    """Add the ``comments`` group."""
    group.add_command(comments_group)


@click.group("comments")
def comments_group() -> None:
    """读者留言：拉取、查看、回复、精选、删除，打开或关闭文章留言（与网页“读者留言”相同）。"""


def _refuse(error: WxpubError) -> None:
    click.echo(f"错误：{error.message}", err=True)
    sys.exit(1)


@comments_group.command("pull")
@click.option("--article", "article_id", type=int, metavar="文章编号",
              help="只拉取这一篇文章的留言（编号见 wxpub comments list 的“文章”列）")
def comments_pull(article_id: int | None) -> None:
    """从微信拉取已发表文章的读者留言（定时任务每隔一段时间也会自动拉取）。

    留言已关闭的文章不拉取；拉取后检查是否有留言超时未回复（超时会告警）。
    """
    from wxpub.comments.pull import pull
    rt = get_runtime()
    try:
        report = pull(rt, article_id=article_id)
    except WxpubError as error:
        _refuse(error)
    click.echo(report.summary())
    for ident, reason in sorted(report.errors.items()):
        click.echo(f"  文章 {ident} 拉取失败：{reason}")
    if report.failed:
        sys.exit(1)


@comments_group.command("list")
@click.option("--state", type=click.Choice(queries.STATES), default="unanswered", show_default=True,
              help="unanswered 只列待回复的留言；all 全部（待回复的在前，其余按时间从新到旧）")
@click.option("--article", "article_id", type=int, metavar="文章编号", help="只列这一篇文章的留言")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（与 GET /api/v1/comments 相同）")
def comments_list(state: str, article_id: int | None, as_json: bool) -> None:
    """列出读者留言：待回复的在前（等得最久的在前），时间为北京时间。

    “距今”为留言至今的时长；待回复超过规定时长（WXPUB_COMMENT_ANSWER_HOURS）的标“超时”。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        rows = queries.inbox(session, state, article_id=article_id, now=rt.clock.now(),
                             tz=rt.settings.tz, answer_hours=rt.settings.comment_answer_hours)
        counts = queries.counts(session, now=rt.clock.now(), answer_hours=rt.settings.comment_answer_hours)
    if as_json:
        click.echo(json.dumps({"comments": [queries.api_dict(r) for r in rows]}, ensure_ascii=False))
        return
    summary = f"待回复 {counts['unanswered']} 条，其中超过 {rt.settings.comment_answer_hours:g} 小时的 {counts['overdue']} 条"
    if not rows:
        click.echo(("没有待回复的留言。" if state == "unanswered" else "还没有读者留言。") + f"（{summary}）")
        return
    click.echo(f"{pad('编号', 7)}{pad('状态', 7)}{pad('距今', 8)}{pad('留言时间', 17)}{pad('文章', 6)}"
               f"{pad('读者', 12)}留言")
    for r in rows:
        state_name = r["state_name"] + ("·超时" if r["overdue"] else "")
        extra = ""
        if r["pending_action"]:
            extra = f"  [{r['pending_action']['kind_name']}发送中]"
        elif r["failed_action"]:
            extra = f"  [{r['failed_action']['kind_name']}失败]"
        click.echo(f"{pad(str(r['id']), 7)}{pad(state_name, 7)}{pad(r['age'], 8)}{pad(r['created_text'], 17)}"
                   f"{pad(str(r['article']['id']), 6)}{pad(r['reader'], 12)}"
                   f"{'★' if r['elected'] else ''}{shorten(r['content'], CONTENT_COLUMNS)}{extra}")
        if r["reply"]:
            click.echo(f"{' ' * 7}└ 回复：{shorten(r['reply']['content'], CONTENT_COLUMNS + 20)}")
    click.echo(f"共 {len(rows)} 条（{summary}）；★ 为精选。回复：wxpub comments reply 编号 \"回复内容\" --as 用户名")


def _act(kind: str, as_user: str, *, comment_id=None, article_id=None, text: str = "") -> None:
    from wxpub.comments import service
    rt = get_runtime()
    try:
        action = service.act(rt, actor=as_user, kind=kind, comment_id=comment_id, article_id=article_id,
                             text=text)
    except WxpubError as error:
        _refuse(error)
    for warning in getattr(action, "warnings", []):
        click.echo(f"审校提示：{warning}")
    name = queries.KIND_NAMES[kind]
    if action.status == "sent":
        click.echo(f"{DONE[kind]}（{as_user}）。")
    elif action.status == "pending":
        click.echo(f"{name}暂未完成，系统会自动重试：{action.error_message or ''}")
    else:
        _refuse(WxpubError(f"{name}失败：{action.error_message}"))


@comments_group.command("reply")
@click.argument("comment_id", type=int, metavar="留言编号")
@click.argument("text", metavar="回复内容")
@as_required
def comments_reply(comment_id: int, text: str, as_user: str) -> None:
    """回复一条读者留言（每条留言只能回复一次，不超过 600 字）。

    回复内容先经过与文章相同的审校（严重表述错误、涉密、个人信息等）：有必须修改的问题时不发送，并列出问题。
    """
    _act("reply", as_user, comment_id=comment_id, text=text)


def _comment_command(name: str, kind: str, doc: str) -> None:
    @comments_group.command(name, help=doc)
    @click.argument("comment_id", type=int, metavar="留言编号")
    @as_required
    def command(comment_id: int, as_user: str) -> None:
        _act(kind, as_user, comment_id=comment_id)
    command.__name__ = f"comments_{kind}"


def _article_command(name: str, doc: str) -> None:
    @comments_group.command(name, help=doc)
    @click.argument("article_id", type=int, metavar="文章编号")
    @as_required
    def command(article_id: int, as_user: str) -> None:
        _act(name, as_user, article_id=article_id)
    command.__name__ = f"comments_{name}"


_comment_command("elect", "elect", "把一条留言设为精选（读者可见）。")
_comment_command("unelect", "unelect", "取消一条留言的精选。")
_comment_command("delete", "delete", "删除一条读者留言（终审或管理员；删除后读者在文章下看不到这条留言）。")
_comment_command("delete-reply", "delete_reply", "删除对一条留言的回复（删除后可以重新回复）。")
_article_command("open", "打开一篇文章的留言（终审或管理员）。")
_article_command("close", "关闭一篇文章的留言（终审或管理员；关闭后读者不能再留言，拉取也会跳过这篇文章）。")
