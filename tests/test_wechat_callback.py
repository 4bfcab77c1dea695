"""Callback crypto and event parsing: official vectors (reference §7.3 A, C, E) and hand-built events."""

import pytest

from wxpub.wechat.callback import CallbackCrypto, CallbackError, parse_event, plain_signature

KEY_A = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ENCRYPT_A = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
ENCRYPT_C = ("hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAF"
             "mOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVtic"
             "bSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0Vxp"
             "Ae+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpC"
             "umEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
PLAIN_C = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7"
           "ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA"
           "[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>")
ENCRYPT_E = ("D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7o"
             "AbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhiz"
             "Gmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxM"
             "eT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWt"
             "cxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==")
REPLY_E = ("hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t"
           "/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7")


def envelope(encrypt: str, to_user: str = "gh_x") -> str:
    return f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"


def test_vector_a_decrypts_and_both_signatures_match():
    crypto = CallbackCrypto("pamtest", KEY_A, "wxb11529c136998cb6")
    plain = crypto.decrypt(envelope(ENCRYPT_A), "82c962d39941aa48552f90ef55aa323dc620cc10", "1409304348", "xxxxxx")
    assert plain == "我是中文abcd123"
    crypto.check_signature("76480565cbe296026c53aaacd1ad523a1ddba24f", "1409304348", "xxxxxx")


def test_vector_c_compatible_mode_body_decrypts_to_the_text_message():
    crypto = CallbackCrypto("spamtest", KEY_A, "wx2c2769f8efd9abc2")
    body = PLAIN_C.replace("</xml>", f"<Encrypt><![CDATA[{ENCRYPT_C}]]></Encrypt></xml>")
    plain = crypto.decrypt(body, "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132")
    assert plain == PLAIN_C
    message = parse_event(plain)
    assert message["event"] is None and message["msg_type"] == "text"
    assert message["from_user"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs" and message["create_time"] == 1409735668
    assert message["msg_id"] == "6054768590064713728"
    assert message["dedup_key"] == "msg:6054768590064713728"


def test_a_look_alike_encrypt_in_a_compatible_mode_body_is_passed_over():
    """In compatible mode the follower's own text sits in clear next to the real <Encrypt>."""
    crypto = CallbackCrypto("spamtest", KEY_A, "wx2c2769f8efd9abc2")
    body = PLAIN_C.replace("</xml>", "<Note><![CDATA[<Encrypt>QUJD</Encrypt>]]></Note>"
                                     f"<Encrypt><![CDATA[{ENCRYPT_C}]]></Encrypt></xml>")
    assert crypto.decrypt(body, "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132") == PLAIN_C
    with pytest.raises(CallbackError, match="msg_signature"):
        crypto.decrypt(body, "0" * 40, "1409735669", "1320562132")


def test_vector_e_current_doc_example_request_and_reply():
    crypto = CallbackCrypto("AAAAA", "A" * 43, "wx134c8103faa5a59e")
    plain = crypto.decrypt(envelope(ENCRYPT_E, "gh_97417a04a28d"), "6c12a4205838198b8fa631b3220723bb07f1015c",
                           "1715943329", "1590219412")
    assert len(plain.encode("utf-8")) == 292
    event = parse_event(plain)
    assert event["event"] == "debug_demo"
    assert event["from_user"] == "o9AgO5Kd5ggOC-bXrbNODIiE3bGY" and event["to_user"] == "gh_97417a04a28d"
    assert "<debug_str><![CDATA[hello world]]></debug_str>" in plain
    reply = crypto.decrypt(envelope(REPLY_E), "03e0812039325c2712ef5f0f980fd14c70d6e307", "1713424427", "415670741")
    assert reply == "<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>"


def test_url_verification_returns_echostr_only_for_the_right_signature():
    assert plain_signature("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    crypto = CallbackCrypto("AAAAA", "A" * 43, "wx134c8103faa5a59e")
    query = {"signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78", "timestamp": "1714037059",
             "nonce": "486452656", "echostr": "7364912044061523456"}
    assert crypto.verify_url(query) == "7364912044061523456"
    with pytest.raises(CallbackError, match="签名不正确"):
        crypto.verify_url({**query, "nonce": "486452657"})
    with pytest.raises(CallbackError):
        crypto.verify_url({"timestamp": "1714037059", "nonce": "486452656", "echostr": "1"})


PUBLISH_OK = """<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
<FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>
<CreateTime>1481013459</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[PUBLISHJOBFINISH]]></Event>
<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>
<article_id><![CDATA[ARTICLE_ID]]></article_id>
<article_detail><count>2</count><item><idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/a1]]></article_url></item>
<item><idx>2</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/a2]]></article_url></item></article_detail>
</PublishEventInfo></xml>"""

MASS_DONE = """<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[mphelper-openid]]></FromUserName>
<CreateTime>1481013459</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[MASSSENDJOBFINISH]]></Event>
<MsgID>1000001625</MsgID><Status><![CDATA[send success]]></Status>
<TotalCount>4</TotalCount><FilterCount>4</FilterCount><SentCount>4</SentCount><ErrorCount>0</ErrorCount>
<CopyrightCheckResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx><UserDeclareState>0</UserDeclareState>
<AuditState>2</AuditState><OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType>
<CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item>
</ResultList><CheckState>2</CheckState></CopyrightCheckResult>
<ArticleUrlResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx>
<ArticleUrl><![CDATA[http://mp.weixin.qq.com/s/xxxx]]></ArticleUrl></item></ResultList></ArticleUrlResult></xml>"""


def safe_mode_push(crypto: CallbackCrypto, xml: str, timestamp="1481013460", nonce="12345"):
    """Encrypt ``xml`` the way WeChat pushes it: envelope body + query string."""
    import xmltodict

    sealed = xmltodict.parse(crypto.encrypt_reply(xml, nonce, timestamp))["xml"]
    body = envelope(sealed["Encrypt"])
    query = {"signature": plain_signature(crypto.token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"],
             "openid": "oV5CrjpxgaGXNHIQigzNlgLTnwic"}
    return body, query


def test_hand_built_publish_event_through_safe_mode():
    crypto = CallbackCrypto("wxpubsandbox", KEY_A, "wx5a7d0b1e2c3f4a60")
    body, query = safe_mode_push(crypto, PUBLISH_OK)
    event = parse_event(crypto.open(body.encode("utf-8"), query))
    assert event["event"] == "PUBLISHJOBFINISH"
    assert event["publish_id"] == "2247503051" and event["publish_status"] == 0
    assert event["article_id"] == "ARTICLE_ID"
    assert event["article_urls"] == ["https://mp.weixin.qq.com/s/a1", "https://mp.weixin.qq.com/s/a2"]
    assert event["fail_idx"] == [] and event["create_time"] == 1481013459
    assert event["from_user"] == "oV5CrjpxgaGXNHIQigzNlgLTnwic"
    with pytest.raises(CallbackError, match="msg_signature"):
        crypto.open(body, {**query, "msg_signature": "0" * 40})
    with pytest.raises(CallbackError, match="签名不正确"):
        crypto.open(body, {**query, "signature": "0" * 40})


def test_publish_failure_event_lists_every_failed_article():
    xml = PUBLISH_OK.split("<article_id>")[0].replace("<publish_status>0", "<publish_status>2") \
        + "<fail_idx>1</fail_idx><fail_idx>2</fail_idx></PublishEventInfo></xml>"
    event = parse_event(xml)
    assert event["publish_status"] == 2 and event["fail_idx"] == [1, 2]
    assert event["article_urls"] == [] and event["article_id"] is None
    single = xml.replace("<fail_idx>2</fail_idx>", "")
    assert parse_event(single)["fail_idx"] == [1]


def test_mass_send_finished_event():
    event = parse_event(MASS_DONE)
    assert event["event"] == "MASSSENDJOBFINISH" and event["msg_id"] == "1000001625"
    assert event["status"] == "send success"
    assert (event["total_count"], event["filter_count"], event["sent_count"], event["error_count"]) == (4, 4, 4, 0)
    assert event["check_state"] == 2
    assert event["article_urls"] == ["http://mp.weixin.qq.com/s/xxxx"]
    assert event["dedup_key"] == "mass:1000001625:send success"


def test_plaintext_mode_requires_a_signature_and_garbage_is_refused():
    crypto = CallbackCrypto("wxpubsandbox", KEY_A, "wx5a7d0b1e2c3f4a60", allow_plaintext=True)
    with pytest.raises(CallbackError):
        crypto.open(MASS_DONE, {})
    query = {"signature": plain_signature("wxpubsandbox", "1", "2"), "timestamp": "1", "nonce": "2"}
    assert parse_event(crypto.open(MASS_DONE.encode(), query))["msg_id"] == "1000001625"
    # Without the explicit setting, the Token signature alone is not enough.
    strict = CallbackCrypto("wxpubsandbox", KEY_A, "wx5a7d0b1e2c3f4a60")
    with pytest.raises(CallbackError, match="安全模式"):
        strict.open(MASS_DONE.encode(), query)
    with pytest.raises(CallbackError):
        parse_event("not xml at all")
    other = CallbackCrypto("wxpubsandbox", KEY_A, "wx0000000000000000")
    body, query = safe_mode_push(crypto, PUBLISH_OK)
    with pytest.raises(CallbackError, match="AppID"):
        other.open(body, query)
