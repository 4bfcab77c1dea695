"""Statistics (datacube): the new 发表内容 family and the legacy 图文分析 endpoints."""

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

    # ----- legacy family (停止维护, still answered) -----
    def getarticlesummary(self, begin_date, end_date) -> dict:
        """
        获取图文群发每日数据（最大跨度 1 天）
        详情请参考
        https://developers.weixin.qq.com/doc/service/en/Analytics/Graphic_Analysis_Data_Interface.html

        :return: ``{"list": [...]}``
        """
        return self._query("getarticlesummary", begin_date, end_date)

    def getarticletotal(self, begin_date, end_date) -> dict:
        """
        获取图文群发总数据（发送后 7 天内，最大跨度 1 天）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticletotal

        :return: ``{"list": [...]}``
        """
        return self._query("getarticletotal", begin_date, end_date)

    def getuserread(self, begin_date, end_date) -> dict:
        """
        获取图文统计数据（按来源，最大跨度 3 天）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getuserread

        :return: ``{"list": [...]}``
        """
        return self._query("getuserread", begin_date, end_date)

    def getusershare(self, begin_date, end_date) -> dict:
        """
        获取图文分享转发数据（最大跨度 7 天）
        详情请参考
        https://developers.weixin.qq.com/doc/service/en/Analytics/Graphic_Analysis_Data_Interface.html

        :return: ``{"list": [...]}``
        """
        return self._query("getusershare", begin_date, end_date)
