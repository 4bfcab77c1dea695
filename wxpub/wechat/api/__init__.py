"""The WeChat API groups wxpub uses, one class per group, one method per endpoint (wechatpy style).

wechatpy 1.8.18 has no draft, freepublish or new-datacube classes; these fill the gap and replace
the few old ones wxpub needs, so every answer is the plain dict WeChat sent, with ``publish_id``,
``msg_id`` and ``msg_data_id`` normalised to strings.
"""

from .datacube import WxDataCube
from .draft import WxDraft
from .freepublish import WxFreePublish
from .mass import WxMass
from .material import WxMaterial, WxMedia

__all__ = ["WxDataCube", "WxDraft", "WxFreePublish", "WxMass", "WxMaterial", "WxMedia"]
