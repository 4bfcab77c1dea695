"""What a check reports: ``Finding(rule, severity, location, text, message)``."""

from __future__ import annotations

from dataclasses import dataclass

BLOCKING = "blocking"
WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """Where a finding is: article index (0-based), case number, paragraph (1-based), field.

    ``field`` is "body", "title", "digest", "author", "html" or "message".
    """

    article: int | None = None
    case: int | None = None
    paragraph: int | None = None
    field: str = "body"

    def describe(self) -> str:
        """Human-readable Chinese location, e.g. "第1篇 · 案例03 · 第2段"."""
        parts = []
        if self.article is not None:
            parts.append(f"第{self.article + 1}篇")
        names = {"title": "标题", "digest": "摘要", "author": "作者", "html": "正文HTML",
                 "message": "整条消息"}
        if self.field in names:
            parts.append(names[self.field])
        if self.case is not None:
            parts.append(f"案例{self.case:02d}")
        if self.paragraph is not None:
            parts.append("标题行" if self.paragraph == 0 and self.case is not None
                         else f"第{self.paragraph}段")
        return " · ".join(parts) or "整条消息"


@dataclass(frozen=True)
class Finding:
    """One problem found. ``text`` is the offending text, masked when it is personal data."""

    rule: str
    severity: str            # "blocking" | "warning"
    location: Location
    text: str
    message: str             # Chinese, for staff

    @property
    def blocking(self) -> bool:
        """True when the finding must be fixed before approval."""
        return self.severity == BLOCKING
