"""Mass send (群发, notifies followers): ``message/mass/*``."""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI

from wxpub.wechat.api._ids import as_id, normalise_ids


class WxMass(BaseWeChatAPI):
    """高级群发接口 (mass send)."""

    def sendall(self, media_id: str, *, clientmsgid: str, is_to_all: bool = True,
                tag_id: int | None = None, send_ignore_reprint: int = 0) -> dict:
        """
        根据标签或向全部粉丝群发图文（mpnews）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall

        :param media_id: 草稿 media_id
        :param clientmsgid: 幂等键（≤64 字节）：24 小时内同一键不会再发（45065）
        :param is_to_all: True 发给全部粉丝；False 时必须给 tag_id
        :param tag_id: 标签 id
        :param send_ignore_reprint: 1 表示被判为转载时继续群发
        :return: ``{"errcode": 0, "msg_id": str, "msg_data_id": str}``
        """
        if not clientmsgid:
            raise ValueError("clientmsgid is required: it keeps a retried send from going out twice")
        if not is_to_all and tag_id is None:
            raise ValueError("tag_id is required when is_to_all is False")
        target = {"is_to_all": True} if is_to_all else {"is_to_all": False, "tag_id": int(tag_id)}
        return normalise_ids(self._post("message/mass/sendall", data={
            "filter": target, "msgtype": "mpnews", "mpnews": {"media_id": media_id},
            "send_ignore_reprint": int(send_ignore_reprint), "clientmsgid": str(clientmsgid)}))

    def preview(self, media_id: str, *, touser: str | None = None,
                towxname: str | None = None) -> dict:
        """
        预览图文群发（发给一个粉丝的手机，不占群发配额，草稿保留）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/notify/message/api_preview

        按微信号预览每个公众号每天限 100 次（45009）。错误：40132 微信号不合法、43004 收件人未关注、
        40007 草稿不存在、40003 openid 不合法（说明见 ``wxpub.wechat.errors.ENDPOINT_ERRCODES``）。

        :param media_id: 草稿 media_id
        :param touser: 粉丝 openid
        :param towxname: 微信号（两者都给时以微信号为准）
        :return: ``{"errcode": 0, "msg_id": str}``
        """
        if not touser and not towxname:
            raise ValueError("preview needs touser or towxname")
        data = {"msgtype": "mpnews", "mpnews": {"media_id": media_id}}
        if touser:
            data["touser"] = touser
        if towxname:
            data["towxname"] = towxname
        return normalise_ids(self._post("message/mass/preview", data=data))

    def get(self, msg_id) -> dict:
        """
        查询群发消息发送状态
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/notify/message/api_massmsgget

        :param msg_id: 群发 msg_id（数字或字符串）
        :return: ``{"msg_id": str, "msg_status": "SEND_SUCCESS" | "SENDING" | "SEND_FAIL" | "DELETE"}``
        """
        return normalise_ids(self._post("message/mass/get", data={"msg_id": as_id(msg_id)}))

    def delete(self, msg_id, article_idx: int = 0) -> dict:
        """
        删除群发（使文章页失效，已收到的消息卡片仍在）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/notify/message/api_deletemassmsg

        :param msg_id: 群发 msg_id（数字或字符串）
        :param article_idx: 要删除的文章位置，从 1 开始；0 删除全部
        :return: ``{"errcode": 0, "errmsg": "ok"}``
        """
        return self._post("message/mass/delete",
                          data={"msg_id": as_id(msg_id), "article_idx": int(article_idx)})
