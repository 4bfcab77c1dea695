"""uploadimg, permanent material and temporary media against reference §2."""
import pytest

from wxpub.sandbox.testing import SandboxClient, jpeg_bytes, png_bytes

GIF = b"GIF89a" + b"\0" * 40




@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    return SandboxClient(module_sandbox)


def upload(client, path, data, filename="a.jpg", **params):
    return client.json(path, files={"media": (filename, data)}, params=params)


def test_uploadimg_returns_an_mmbiz_url_and_no_media_id(client):
    for data in (jpeg_bytes(), png_bytes()):
        reply = upload(client, "/cgi-bin/media/uploadimg", data)
        assert reply["url"].startswith("http://mmbiz.qpic.cn/")
        assert "media_id" not in reply


@pytest.mark.parametrize("files, errcode", [
    ({"other": ("a.jpg", jpeg_bytes())}, 41005),
    ({"media": ("a.jpg", b"")}, 44001),
    ({"media": ("a.jpg", GIF)}, 40005),                      # gif renamed .jpg: magic bytes decide
    ({"media": ("a.jpg", b"not an image at all")}, 40005),
    ({"media": ("a.jpg", jpeg_bytes(pad_to=1024 * 1024))}, 40009),
])
def test_uploadimg_errors(client, files, errcode):
    assert client.json("/cgi-bin/media/uploadimg", files=files)["errcode"] == errcode


def test_uploadimg_just_under_one_megabyte_is_accepted(client):
    reply = upload(client, "/cgi-bin/media/uploadimg", jpeg_bytes(pad_to=1024 * 1024 - 1))
    assert "url" in reply


def test_permanent_image_has_media_id_and_url_and_bytes_come_back(client):
    data = png_bytes()
    reply = upload(client, "/cgi-bin/material/add_material", data, "cover.png", type="image")
    assert reply["media_id"] and reply["url"].startswith("http://mmbiz.qpic.cn/")
    raw = client.call("/cgi-bin/material/get_material", {"media_id": reply["media_id"]})
    assert raw.content == data
    assert client.json("/cgi-bin/material/get_materialcount")["image_count"] == 1


@pytest.mark.parametrize("kind, data, errcode", [
    ("thumb", png_bytes(), 40005),                       # thumb: JPG only
    ("thumb", jpeg_bytes(pad_to=64 * 1024 + 1), 40012),  # thumb: 64 KB
    ("image", jpeg_bytes(pad_to=10 * 1024 * 1024 + 1), 40009),
    ("voice", jpeg_bytes(), 40005),
    ("voice", b"ID3" + b"\0" * (2 * 1024 * 1024), 40010),
    ("sticker", jpeg_bytes(), 40004),
])
def test_add_material_limits(client, kind, data, errcode):
    assert upload(client, "/cgi-bin/material/add_material", data, type=kind)["errcode"] == errcode


def test_thumb_and_voice_have_no_url(client):
    thumb = upload(client, "/cgi-bin/material/add_material", jpeg_bytes(), type="thumb")
    voice = upload(client, "/cgi-bin/material/add_material", b"#!AMR\n" + b"\0" * 50, "v.amr", type="voice")
    assert "url" not in thumb and "url" not in voice
    counts = client.json("/cgi-bin/material/get_materialcount")
    assert counts == {"voice_count": 1, "video_count": 0, "image_count": 1, "news_count": 0}


def test_video_material_answers_json_on_get(client):
    mp4 = b"\0\0\0\x18ftypmp42" + b"\0" * 100
    reply = client.json("/cgi-bin/material/add_material", params={"type": "video"},
                        files={"media": ("v.mp4", mp4),
                               "description": (None, '{"title":"宣传片","introduction":"介绍"}')})
    got = client.json("/cgi-bin/material/get_material", {"media_id": reply["media_id"]})
    assert got["title"] == "宣传片" and got["description"] == "介绍" and got["down_url"]


def test_delete_material_and_unknown_ids(client):
    media_id = upload(client, "/cgi-bin/material/add_material", jpeg_bytes(), type="image")["media_id"]
    assert client.json("/cgi-bin/material/del_material", {"media_id": media_id})["errcode"] == 0
    assert client.json("/cgi-bin/material/del_material", {"media_id": media_id})["errcode"] == 40007
    assert client.json("/cgi-bin/material/get_material", {"media_id": media_id})["errcode"] == 40007


def test_batchget_material_pages_newest_first(client):
    ids = [upload(client, "/cgi-bin/material/add_material", jpeg_bytes(), f"{n}.jpg", type="image")["media_id"]
           for n in range(3)]
    page = client.json("/cgi-bin/material/batchget_material", {"type": "image", "offset": 1, "count": 1})
    assert page["total_count"] == 3 and page["item_count"] == 1
    assert page["item"][0]["media_id"] in ids and page["item"][0]["name"].endswith(".jpg")
    assert client.json("/cgi-bin/material/batchget_material",
                       {"type": "image", "offset": 0, "count": 21})["errcode"] == 40002


def test_temporary_media_has_created_at_but_is_not_permanent(client):
    reply = upload(client, "/cgi-bin/media/upload", jpeg_bytes(), type="image")
    assert reply["type"] == "image" and isinstance(reply["created_at"], int)
    assert client.json("/cgi-bin/material/get_material", {"media_id": reply["media_id"]})["errcode"] == 40007


def test_uploaded_image_can_be_fetched_from_the_sandbox_for_previews(client):
    data = jpeg_bytes()
    url = upload(client, "/cgi-bin/media/uploadimg", data)["url"]
    path = url.split("mmbiz.qpic.cn", 1)[1].split("?")[0]
    assert client.call(path, token=False).content == data
