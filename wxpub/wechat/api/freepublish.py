"""Publishing (发布, no follower notification): ``freepublish/*``."""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI

from wxpub.wechat.api._ids import as_id, normalise_ids

#: publish_status values of ``freepublish/get`` and PUBLISHJOBFINISH (reference §4.2).
PUBLISH_STATUS = {0: "成功", 1: "发布中", 2: "原创声明失败", 3: "常规失败", 4: "平台审核不通过",
                  5: "成功后用户删除所有文章", 6: "成功后系统封禁所有文章"}


class WxFreePublish(BaseWeChatAPI):
    """发布能力 (freepublish)."""

    def submit(self, media_id: str) -> dict:
        """
        发布草稿（errcode 0 只表示任务已受理，结果见 get 或 PUBLISHJOBFINISH 事件）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_submit

        :param media_id: 草稿 media_id
        :return: ``{"errcode": 0, "publish_id": str, "msg_data_id": str}``
        """
        return normalise_ids(self._post("freepublish/submit", data={"media_id": media_id}))

    def get(self, publish_id) -> dict:
        """
        发布状态轮询
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_get

        :param publish_id: 发布任务 id（数字或字符串）
        :return: ``{"publish_id", "publish_status", "article_id"?, "article_detail"?, "fail_idx"}``
        """
        return normalise_ids(self._post("freepublish/get", data={"publish_id": as_id(publish_id)}))

    def batchget(self, offset: int = 0, count: int = 20, no_content: bool = False) -> dict:
        """
        获取成功发布列表（不含群发的文章）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_batchget

        :param offset: 从 0 开始的偏移
        :param count: 1–20
        :param no_content: True 时不返回正文 content
        :return: ``{"total_count", "item_count", "item": [...]}``
        """
        return self._post("freepublish/batchget", data={"offset": int(offset), "count": int(count),
                                                        "no_content": 1 if no_content else 0})

    def getarticle(self, article_id: str) -> dict:
        """
        通过 article_id 获取已发布文章
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/public/api_freepublishgetarticle.html

        :param article_id: 发布成功后得到的 article_id
        :return: ``{"news_item": [...]}``
        """
        return self._post("freepublish/getarticle", data={"article_id": article_id})

    def delete(self, article_id: str, index: int = 0) -> dict:
        """
        删除发布的文章（不可恢复）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/public/api_freepublishdelete

        :param article_id: 发布成功后得到的 article_id
        :param index: 要删除的文章位置，从 1 开始；0 删除全部
        :return: ``{"errcode": 0, "errmsg": "ok"}``
        """
        return self._post("freepublish/delete", data={"article_id": article_id, "index": int(index)})
