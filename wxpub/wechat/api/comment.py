"""Comments (留言) on published articles: ``comment/*`` (reference §0a.8).

Every call names one article by ``msg_data_id`` (the id freepublish/submit and mass/sendall answer) and
``index``, the article's **0-based** position in that send (unlike freepublish/delete, which is 1-based).
"""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI

from wxpub.wechat.api._ids import as_id

#: comment/list takes fewer than 50 comments a page.
PAGE_SIZE = 49
#: comment/list ``type``: 0 all, 1 ordinary only, 2 精选 only.
LIST_TYPES = {"all": 0, "ordinary": 1, "elected": 2}


def _article(msg_data_id, index: int) -> dict:
    ident = as_id(msg_data_id)
    # WeChat documents msg_data_id as Uint32 here: send digits as a JSON number.
    return {"msg_data_id": int(ident) if ident.isdigit() else ident, "index": int(index)}


class WxComment(BaseWeChatAPI):
    """留言管理 (comment)."""

    def open(self, msg_data_id, index: int = 0) -> dict:
        """
        打开已群发文章评论
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_opencomment

        :param msg_data_id: 群发/发布返回的 msg_data_id
        :param index: 多图文时文章的序号（从 0 开始）
        """
        return self._post("comment/open", data=_article(msg_data_id, index))

    def close(self, msg_data_id, index: int = 0) -> dict:
        """
        关闭已群发文章评论
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_closecomment
        """
        return self._post("comment/close", data=_article(msg_data_id, index))

    def list(self, msg_data_id, index: int = 0, begin: int = 0, count: int = PAGE_SIZE,
             type: int = 0) -> dict:  # noqa: A002 - WeChat's field name
        """
        查看指定文章的评论数据（分页，count < 50）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_listcomment

        :param begin: 起始位置（从 0 开始）
        :param count: 获取数目（1–49）
        :param type: 0 全部，1 普通评论，2 精选评论
        :return: ``{"total": N, "comment": [{"user_comment_id", "openid", "create_time", "content",
                 "comment_type", "reply"?: {"content", "create_time"}}]}``
        """
        return self._post("comment/list", data={**_article(msg_data_id, index), "begin": int(begin),
                                                "count": int(count), "type": int(type)})

    def _one(self, name: str, msg_data_id, index: int, user_comment_id, **extra) -> dict:
        data = {**_article(msg_data_id, index), "user_comment_id": int(user_comment_id), **extra}
        return self._post(f"comment/{name}", data=data)

    def markelect(self, msg_data_id, index: int, user_comment_id) -> dict:
        """
        将评论标记精选
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_markelectcomment
        """
        return self._one("markelect", msg_data_id, index, user_comment_id)

    def unmarkelect(self, msg_data_id, index: int, user_comment_id) -> dict:
        """
        将评论取消精选
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_unmarkelectcomment
        """
        return self._one("unmarkelect", msg_data_id, index, user_comment_id)

    def delete(self, msg_data_id, index: int, user_comment_id) -> dict:
        """
        删除评论
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_deletecomment
        """
        return self._one("delete", msg_data_id, index, user_comment_id)

    def reply(self, msg_data_id, index: int, user_comment_id, content: str) -> dict:
        """
        回复评论（每条评论只能有一条作者回复；已回复时 88005）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_addreply
        """
        return self._one("reply/add", msg_data_id, index, user_comment_id, content=content)

    def delete_reply(self, msg_data_id, index: int, user_comment_id) -> dict:
        """
        删除回复
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/comment/api_deletereply
        """
        return self._one("reply/delete", msg_data_id, index, user_comment_id)
