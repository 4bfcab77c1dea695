"""Statistics (datacube): the 发表内容 family.

The legacy 图文分析 endpoints (getarticlesummary, getarticletotal, getuserread, getusershare and their
hourly variants) answer 47009 since 2026 (reference §0a.1): they are deliberately not offered here.
"""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI

from wxpub.wechat.api._ids import as_day


class WxDataCube(BaseWeChatAPI):
    """数据统计 (datacube). Every method returns WeChat's dict (``list`` and, new family, ``is_delay``)."""

    API_BASE_URL = "https://api.weixin.qq.com/datacube/"

    def _query(self, name: str, begin_date, end_date) -> dict:
        return self._post(name, data={"begin_date": as_day(begin_date), "end_date": as_day(end_date)})

    # ----- new family (is_delay tells whether the numbers are final) -----
    def getarticletotaldetail(self, begin_date, end_date) -> dict:
        """
        获取发表内容的累计数据（发表后 30 天内每天的累计值）
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/wedata/news/api_getarticletotaldetail

        :param begin_date: 起始日期（date 或 YYYY-MM-DD）
        :param end_date: 结束日期（不晚于昨天）
        :return: ``{"list": [...], "is_delay": bool}``
        """
        return self._query("getarticletotaldetail", begin_date, end_date)

    def getarticleread(self, begin_date, end_date) -> dict:
        """
        获取发表内容的阅读数据（按天，每篇文章）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleread

        :param begin_date: 起始日期（date 或 YYYY-MM-DD）
        :param end_date: 结束日期（不晚于昨天）
        :return: ``{"list": [...], "is_delay": bool}``
        """
        return self._query("getarticleread", begin_date, end_date)

    def getarticleshare(self, begin_date, end_date) -> dict:
        """
        获取发表内容的分享数据（按天，每篇文章）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleread

        :param begin_date: 起始日期（date 或 YYYY-MM-DD）
        :param end_date: 结束日期（不晚于昨天）
        :return: ``{"list": [...], "is_delay": bool}``
        """
        return self._query("getarticleshare", begin_date, end_date)

    def getbizsummary(self, begin_date, end_date) -> dict:
        """
        获取账号级每日概况（阅读、分享、在看、点赞、留言、收藏）
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/wedata/news/api_getbizsummary

        :param begin_date: 起始日期（date 或 YYYY-MM-DD）
        :param end_date: 结束日期（不晚于昨天）
        :return: ``{"list": [...], "is_delay": bool}``
        """
        return self._query("getbizsummary", begin_date, end_date)
