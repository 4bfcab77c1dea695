"""Images in article bodies (``media/uploadimg``) and permanent material (``material/*``)."""

from __future__ import annotations

from wechatpy.client.api.base import BaseWeChatAPI


class WxMedia(BaseWeChatAPI):
    """Images for article bodies: the only image URLs that survive in draft content."""

    def upload_image(self, media_file) -> str:
        """
        上传图文消息内的图片获取 URL（jpg/png，小于 1MB，不占素材库名额）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/material/permanent/api_uploadimage

        :param media_file: 文件对象、bytes、路径，或 (文件名, 内容) 元组
        :return: 图片 URL（mmbiz.qpic.cn）
        """
        return self._post("media/uploadimg", files={"media": media_file},
                          result_processor=lambda result: result["url"])


class WxMaterial(BaseWeChatAPI):
    """Permanent material: cover images (image/thumb) referenced by drafts."""

    def _add(self, media_type: str, media_file) -> dict:
        return self._post("material/add_material", params={"type": media_type},
                          files={"media": media_file})

    def add_image(self, media_file) -> dict:
        """
        新增永久图片素材（bmp/png/jpeg/jpg/gif，10MB 以内）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/material/permanent/api_addmaterial

        :param media_file: 文件对象、bytes、路径，或 (文件名, 内容) 元组
        :return: ``{"media_id": ..., "url": ...}``
        """
        return self._add("image", media_file)

    def add_thumb(self, media_file) -> dict:
        """
        新增永久缩略图素材（JPG，64KB 以内）
        详情请参考
        https://developers.weixin.qq.com/doc/service/api/material/permanent/api_addmaterial

        :param media_file: 文件对象、bytes、路径，或 (文件名, 内容) 元组
        :return: ``{"media_id": ...}``
        """
        return self._add("thumb", media_file)

    def get(self, media_id: str):
        """
        获取永久素材
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_getmaterial.html

        :param media_id: 素材 media_id
        :return: 图片/缩略图为原始 bytes；视频等为 JSON dict
        """
        return self._post("material/get_material", data={"media_id": media_id})

    def delete(self, media_id: str) -> dict:
        """
        删除永久素材
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_delmaterial.html

        :param media_id: 素材 media_id
        :return: ``{"errcode": 0, "errmsg": "ok"}``
        """
        return self._post("material/del_material", data={"media_id": media_id})

    def get_count(self) -> dict:
        """
        获取素材总数
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_getmaterialcount.html

        :return: ``{"voice_count", "video_count", "image_count", "news_count"}``
        """
        return self._get("material/get_materialcount")

    def batchget(self, media_type: str = "image", offset: int = 0, count: int = 20) -> dict:
        """
        获取素材列表
        详情请参考
        https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_batchgetmaterial.html

        :param media_type: image | video | voice | news
        :param offset: 从 0 开始的偏移
        :param count: 1–20
        :return: ``{"total_count", "item_count", "item": [...]}``
        """
        return self._post("material/batchget_material",
                          data={"type": media_type, "offset": int(offset), "count": int(count)})
