"""The sandbox crypto module against the official vectors of reference §7.3."""
import pytest

from wxpub.sandbox.crypto import CryptoError, MessageCrypto, sha1_signature

KEY_A = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ENCRYPT_A = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
ENCRYPT_C = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbU"
    "Ah0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6N"
    "PhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C"
    "0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
PLAIN_C = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>")
ENCRYPT_E = (
    "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYp"
    "JnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1"
    "FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUl"
    "YEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4x"
    "QrWXbsTFHTYe0Mg==")
REPLY_E = ("hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t"
           "/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7")


def test_vector_a_encrypts_to_the_official_ciphertext_and_back():
    crypto = MessageCrypto("pamtest", KEY_A, "wxb11529c136998cb6")
    encrypted = crypto.encrypt("我是中文abcd123", b"aaaabbbbccccdddd")
    assert encrypted == ENCRYPT_A
    assert crypto.decrypt(encrypted) == "我是中文abcd123"
    assert crypto.msg_signature("1409304348", "xxxxxx", encrypted) == "82c962d39941aa48552f90ef55aa323dc620cc10"
    assert sha1_signature("pamtest", "1409304348", "xxxxxx") == "76480565cbe296026c53aaacd1ad523a1ddba24f"


def test_vector_c_compatible_mode_body_decrypts_with_its_signature():
    crypto = MessageCrypto("spamtest", KEY_A, "wx2c2769f8efd9abc2")
    body = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{ENCRYPT_C}]]></Encrypt></xml>"
    plain = crypto.decrypt_message(body, "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132")
    assert plain == PLAIN_C


def test_vector_e_current_doc_example_both_directions():
    crypto = MessageCrypto("AAAAA", "A" * 43, "wx134c8103faa5a59e")
    assert crypto.msg_signature("1715943329", "1590219412", ENCRYPT_E) == "6c12a4205838198b8fa631b3220723bb07f1015c"
    plain = crypto.decrypt(ENCRYPT_E)
    assert len(plain.encode("utf-8")) == 292
    assert "<debug_str><![CDATA[hello world]]></debug_str>" in plain
    assert "gh_97417a04a28d" in plain and "o9AgO5Kd5ggOC-bXrbNODIiE3bGY" in plain
    reply = crypto.encrypt_message("<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>",
                                   "415670741", "1713424427", b"999951349e8ee746")
    assert f"<Encrypt><![CDATA[{REPLY_E}]]></Encrypt>" in reply
    assert "<MsgSignature><![CDATA[03e0812039325c2712ef5f0f980fd14c70d6e307]]></MsgSignature>" in reply


def test_plaintext_signature_doc_example():
    assert sha1_signature("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"


def test_wrong_appid_or_signature_is_refused():
    crypto = MessageCrypto("pamtest", KEY_A, "wx_other_appid")
    with pytest.raises(CryptoError):
        crypto.decrypt(ENCRYPT_A)
    right = MessageCrypto("spamtest", KEY_A, "wx2c2769f8efd9abc2")
    body = f"<xml><Encrypt><![CDATA[{ENCRYPT_C}]]></Encrypt></xml>"
    with pytest.raises(CryptoError):
        right.decrypt_message(body, "0" * 40, "1409735669", "1320562132")


def test_aes_key_must_have_43_characters():
    with pytest.raises(CryptoError):
        MessageCrypto("t", "short", "wx1")
