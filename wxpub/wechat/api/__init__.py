"""The WeChat API groups wxpub uses, one class per group, one method per endpoint (wechatpy style).

wechatpy 1.8.18 has no draft, freepublish or new-datacube classes; these fill the gap and replace
the few old ones wxpub needs, so every answer is the plain dict WeChat sent, with ``publish_id``,
``msg_id`` and ``msg_data_id`` normalised to strings.
"""

from wxpub.wechat.api.comment import WxComment
from wxpub.wechat.api.datacube import WxDataCube
from wxpub.wechat.api.draft import WxDraft
from wxpub.wechat.api.freepublish import WxFreePublish
from wxpub.wechat.api.mass import WxMass
from wxpub.wechat.api.material import WxMaterial, WxMedia
from wxpub.wechat.api.openapi import WxOpenApi

__all__ = ["WxComment", "WxOpenApi", "WxDataCube", "WxDraft", "WxFreePublish", "WxMass", "WxMaterial", "WxMedia"]
