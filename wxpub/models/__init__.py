"""SQLAlchemy 2.0 typed models, one module per area; import them from here."""

from .base import Base, UTCDateTime, utcnow
from .library import Case, CaseVersion, Chapter, MediaFile, Series
from .people import ROLES, Alert, AuditEntry, User
from .publishing import (AccessToken, Account, Approval, Article, CallbackEvent, Message,
                         MessageVersion,
                         PublishAttempt, Release, UploadedMedia)
from .stats import StatArticle, StatArticleDaily, StatBizDaily, StatPull

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "Series", "Chapter", "Case", "CaseVersion", "MediaFile",
    "Account", "Message", "MessageVersion", "Article", "Release", "Approval", "PublishAttempt",
    "UploadedMedia", "AccessToken", "CallbackEvent",
    "StatArticle", "StatArticleDaily", "StatBizDaily", "StatPull",
    "User", "AuditEntry", "Alert", "ROLES",
]
