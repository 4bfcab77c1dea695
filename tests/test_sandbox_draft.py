"""Draft box against reference §3: every limit, its errcode, and WeChat's content clean-up."""
import pytest

from wxpub.sandbox.testing import SandboxClient, jpeg_bytes

from servers import start_sandbox




@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    return SandboxClient(module_sandbox)


@pytest.fixture()
def thumb(client):
    return client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                       files={"media": ("c.jpg", jpeg_bytes())})["media_id"]


def article(thumb, **fields):
    base = {"title": "人文环境篇丨创新实践案例", "author": "新区融媒", "digest": "",
            "content": "<p>正文内容</p>", "thumb_media_id": thumb}
    base.update(fields)
    return base


def add(client, *articles):
    return client.json("/cgi-bin/draft/add", {"articles": list(articles)})


def test_add_get_count_roundtrip(client, thumb):
    media_id = add(client, article(thumb), article(thumb, title="第二篇"))["media_id"]
    got = client.json("/cgi-bin/draft/get", {"media_id": media_id})
    assert [a["title"] for a in got["news_item"]] == ["人文环境篇丨创新实践案例", "第二篇"]
    assert all(a["url"].startswith("http://mp.weixin.qq.com/") for a in got["news_item"])
    assert got["news_item"][0]["thumb_media_id"] == thumb
    assert client.json("/cgi-bin/draft/count") == {"total_count": 1}


@pytest.mark.parametrize("fields, errcode", [
    ({"title": "标" * 33}, 45003),
    ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 129}, 45004),
    ({"content": "字" * 20000}, 45002),
    ({"content_source_url": "https://example.com/" + "a" * 1010}, 41039),
    ({"content_source_url": "javascript:alert(1)"}, 41039),
    ({"thumb_media_id": "no-such-media"}, 40007),
    ({"pic_crop_235_1": "0.5_0_0.2_1"}, 53402),
    ({"title": ""}, 44003),
    ({"content": ""}, 44003),
])
def test_article_limits(client, thumb, fields, errcode):
    assert add(client, article(thumb, **fields))["errcode"] == errcode
    assert client.json("/cgi-bin/draft/count") == {"total_count": 0}


@pytest.mark.parametrize("fields", [{"title": "标" * 32}, {"author": "作" * 16}, {"digest": "摘" * 128},
                                    {"content": "字" * 19999},
                                    {"content_source_url": "https://example.com/" + "a" * 1004},
                                    {"pic_crop_235_1": "0.1945_0_1_0.5236"}])
def test_values_at_the_limit_are_accepted(client, thumb, fields):
    assert "media_id" in add(client, article(thumb, **fields))


def test_title_limit_is_configurable():
    with start_sandbox(title_limit=64) as sb:
        client = SandboxClient(sb)
        thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                            files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
        assert "media_id" in add(client, article(thumb, title="标" * 64))
        assert add(client, article(thumb, title="标" * 65))["errcode"] == 45003


def test_cover_must_be_permanent_image_or_thumb(client, thumb):
    temp = client.json("/cgi-bin/media/upload", params={"type": "image"},
                       files={"media": ("t.jpg", jpeg_bytes())})["media_id"]
    url = client.json("/cgi-bin/media/uploadimg", files={"media": ("u.jpg", jpeg_bytes())})["url"]
    image = client.json("/cgi-bin/material/add_material", params={"type": "image"},
                        files={"media": ("i.jpg", jpeg_bytes())})["media_id"]
    assert add(client, article(thumb, thumb_media_id=temp))["errcode"] == 40007
    assert add(client, article(thumb, thumb_media_id=url))["errcode"] == 40007
    assert "media_id" in add(client, article(thumb, thumb_media_id=image))


def test_article_count_rules(client, thumb):
    assert "media_id" in add(client, *[article(thumb)] * 8)
    assert add(client, *[article(thumb)] * 9)["errcode"] == 45008
    assert client.json("/cgi-bin/draft/add", {"articles": []})["errcode"] == 44003
    assert client.json("/cgi-bin/draft/add", {"other": 1})["errcode"] == 44003


def test_content_is_cleaned_like_wechat(client, thumb):
    url = client.json("/cgi-bin/media/uploadimg", files={"media": ("u.jpg", jpeg_bytes())})["url"]
    html = (f'<section class="card" id="c1" style="color:#333" onclick="steal()">'
            f'<p style="font-size:16px">一是<script>alert(1)</script>创新</p>'
            f'<img src="{url}" style="width:100%"><img src="https://example.com/x.png">'
            f'<style>p{{color:red}}</style><iframe src="https://example.com"></iframe>'
            f'<form action="/x"><input name="q"></form>'
            f'<a href="https://example.com/ext">外链</a><a href="https://mp.weixin.qq.com/s/abc">往期</a></section>')
    media_id = add(client, article(thumb, content=html))["media_id"]
    stored = client.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]["content"]
    for gone in ("script", "alert", "onclick", "class=", "id=", "example.com/x.png", "<style", "iframe",
                 "<form", "<input", 'href="https://example.com'):
        assert gone not in stored, gone
    for kept in ('style="color:#333"', 'style="font-size:16px"', url.replace("&", "&amp;"), "一是创新",
                 'href="https://mp.weixin.qq.com/s/abc"', "外链"):
        assert kept in stored, kept


def test_digest_defaults_to_first_54_characters_for_single_articles(client, thumb):
    body = "<p>" + "甲" * 40 + "</p><p>" + "乙" * 40 + "</p>"
    media_id = add(client, article(thumb, content=body))["media_id"]
    digest = client.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]["digest"]
    assert digest.replace(" ", "").startswith("甲" * 40) and len(digest) == 54


def test_update_replaces_one_article_by_zero_based_index(client, thumb):
    media_id = add(client, article(thumb), article(thumb, title="第二篇"))["media_id"]
    reply = client.json("/cgi-bin/draft/update",
                        {"media_id": media_id, "index": 1, "articles": article(thumb, title="改过的")})
    assert reply["errcode"] == 0
    titles = [a["title"] for a in client.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"]]
    assert titles == ["人文环境篇丨创新实践案例", "改过的"]
    out_of_range = {"media_id": media_id, "index": 2, "articles": article(thumb)}
    assert client.json("/cgi-bin/draft/update", out_of_range)["errcode"] == 40114
    too_long = {"media_id": media_id, "index": 0, "articles": article(thumb, title="长" * 40)}
    assert client.json("/cgi-bin/draft/update", too_long)["errcode"] == 45003
    unknown = {"media_id": "nope", "index": 0, "articles": article(thumb)}
    assert client.json("/cgi-bin/draft/update", unknown)["errcode"] == 40007


def test_delete_and_batchget(client, thumb):
    first = add(client, article(thumb, title="一"))["media_id"]
    add(client, article(thumb, title="二"))
    page = client.json("/cgi-bin/draft/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert page["total_count"] == 2 and page["item_count"] == 2
    assert all("content" not in a for item in page["item"] for a in item["content"]["news_item"])
    assert client.json("/cgi-bin/draft/delete", {"media_id": first})["errcode"] == 0
    assert client.json("/cgi-bin/draft/get", {"media_id": first})["errcode"] == 40007
    assert client.json("/cgi-bin/draft/delete", {"media_id": first})["errcode"] == 40007
    assert client.json("/cgi-bin/draft/count") == {"total_count": 1}


def test_get_endpoints_refuse_post_and_post_endpoints_refuse_get(client):
    assert client.json("/cgi-bin/draft/count", {"x": 1})["errcode"] == 43001
    assert client.json("/cgi-bin/draft/add", method="GET")["errcode"] == 43002
