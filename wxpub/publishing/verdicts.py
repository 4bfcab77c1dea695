"""WeChat's verdicts on a publication in plain Chinese: freepublish statuses and mass-send codes."""

from __future__ import annotations

import re


PUBLISH_STATUS = {
    2: "原创声明校验未通过（文章被判定为非原创）",
    3: "发布失败（微信常规失败）",
    4: "平台审核不通过",
    5: "发布成功后文章已被全部删除",
    6: "发布成功后文章被系统封禁",
}


def publish_status_message(status: int, fail_idx: list) -> str:
    """Plain-Chinese explanation of a freepublish status."""
    text = PUBLISH_STATUS.get(status, f"发布失败（状态 {status}）")
    if fail_idx:
        text += f"，失败的文章：第 {'、'.join(str(i) for i in fail_idx)} 篇"
    return text + "。可使用手工发布材料在公众号后台发布。"


MASS_STATUS = {
    10001: "涉嫌广告", 20001: "涉嫌政治敏感", 20002: "涉嫌色情", 20004: "涉嫌社会类问题", 20006: "涉嫌违法犯罪",
    20008: "涉嫌欺诈", 20013: "涉嫌侵权", 22000: "涉嫌互推", 21000: "涉嫌其他问题",
    30001: "原创校验出现系统错误（且选择了转载即停止群发）", 30002: "原创校验未通过，不能群发",
    30003: "被判定为转载（且选择了转载即停止群发）", 40001: "管理员拒绝了群发", 40002: "管理员 30 分钟内未确认群发",
}


def mass_status_message(status: str) -> str:
    """Plain-Chinese explanation of a MASSSENDJOBFINISH ``Status`` (``send fail`` or ``err(N)``)."""
    match = re.fullmatch(r"err\((\d+)\)", status.strip())
    reason = MASS_STATUS.get(int(match.group(1)), f"错误 {match.group(1)}") if match else "发送失败"
    return f"群发失败：{reason}（微信状态 {status}）。可使用手工发布材料在公众号后台处理。"
