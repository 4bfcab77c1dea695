"""Draft box (草稿箱): ``draft/*``. Articles are passed through whole (pic_crop_*, cover_info …)."""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI

#: Every input field of a draft article (reference §3.1); unknown keys are still passed through.
ARTICLE_FIELDS = ("article_type", "title", "author", "digest", "content", "content_source_url",
                  "thumb_media_id", "need_open_comment", "only_fans_can_comment", "pic_crop_235_1",
                  "pic_crop_1_1", "image_info", "cover_info", "product_info")


def _article(article: dict) -> dict:
    if not isinstance(article, dict):
        raise TypeError(f"a draft article must be a dict, not {type(article).__name__}")
    # None means "not set": WeChat treats a JSON null differently from a missing field.
    return {key: value for key, value in article.items() if value is not None}


class WxDraft(BaseWeChatAPI):
    """草稿箱 (draft box)."""

    def add(self, articles: list[dict]) -> dict:
        """
        新建草稿
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_add.html

        :param articles: 文章 dict 列表，字段见 ``ARTICLE_FIELDS``，原样提交（含 pic_crop_*）
        :return: ``{"media_id": ...}``
        """
        return self._post("draft/add", data={"articles": [_article(a) for a in articles]})

    def get(self, media_id: str) -> dict:
        """
        获取草稿
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_getdraft.html

        :param media_id: 草稿 media_id
        :return: ``{"news_item": [...]}``
        """
        return self._post("draft/get", data={"media_id": media_id})

    def update(self, media_id: str, index: int, article: dict) -> dict:
        """
        修改草稿中的一篇文章
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_update.html

        :param media_id: 草稿 media_id
        :param index: 文章位置，从 0 开始
        :param article: 一篇文章（单个对象，不是列表）
        :return: ``{"errcode": 0, "errmsg": "ok"}``
        """
        return self._post("draft/update", data={"media_id": media_id, "index": int(index),
                                                "articles": _article(article)})

    def delete(self, media_id: str) -> dict:
        """
        删除草稿（不可恢复）
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_delete.html

        :param media_id: 草稿 media_id
        :return: ``{"errcode": 0, "errmsg": "ok"}``
        """
        return self._post("draft/delete", data={"media_id": media_id})

    def batchget(self, offset: int = 0, count: int = 20, no_content: bool = False) -> dict:
        """
        获取草稿列表
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_batchget.html

        :param offset: 从 0 开始的偏移
        :param count: 1–20
        :param no_content: True 时不返回正文 content
        :return: ``{"total_count", "item_count", "item": [...]}``
        """
        return self._post("draft/batchget", data={"offset": int(offset), "count": int(count),
                                                  "no_content": 1 if no_content else 0})

    def count(self) -> dict:
        """
        获取草稿总数
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_count.html

        :return: ``{"total_count": N}``
        """
        return self._get("draft/count")
