"""Quota and diagnostics: ``openapi/quota/get`` and ``openapi/rid/get`` (reference §0a.5, §0a.7, §8)."""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI


class WxOpenApi(BaseWeChatAPI):
    """接口调用额度与请求诊断 (openapi)."""

    def quota(self, cgi_path: str) -> dict:
        """
        查询某个接口今天的调用额度
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/apimange/api_getapiquota

        :param cgi_path: 接口路径，如 ``/cgi-bin/message/mass/sendall`` 或 ``/datacube/getarticleread``
        :return: ``{"quota": {"daily_limit", "used", "remain"}, "rate_limit"?: {...}}``
        """
        return self._post("openapi/quota/get", data={"cgi_path": cgi_path})

    def rid(self, rid: str) -> dict:
        """
        查询 rid 对应的请求与回答（rid 在错误信息中，保留 7 天）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/apimange/api_getridinfo

        :param rid: 错误信息末尾 ``rid: …`` 的值
        :return: ``{"request": {"invoke_time", "cost_in_ms", "request_url", "request_body",
                 "response_body", "client_ip"}}``
        """
        return self._post("openapi/rid/get", data={"rid": rid})
