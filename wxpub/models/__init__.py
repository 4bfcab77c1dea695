"""SQLAlchemy 2.0 typed models, one module per area; import them from here."""

from wxpub.models.base import Base, UTCDateTime, utcnow
from wxpub.models.comments import (ACTION_KINDS, COMMENT_POLICIES, CommentAction, CommentArticle,
                                   ReaderComment)
from wxpub.models.library import (Case, CaseVersion, Chapter, ImportBatch, ImportBatchFile, MediaFile,
                                  Series)
from wxpub.models.people import (ROLES, Alert, AuditEntry, AuditHead, LoginThrottle, Notice, OutboxMessage,
                                 StaffSession, User)
from wxpub.models.publishing import (AccessToken, Account, ApiCallWindow, Article, CallbackEvent, Message,
                                    MessageVersion, PublishAttempt, Release, ReleaseTransition,
                                    UploadedMedia, UserAccount)
from wxpub.models.plans import ReleasePlan
from wxpub.models.rating import (LEVELS, Commendation, RatingCase, RatingEntry, RatingExpert, RatingRound,
                                 RatingSheet)
from wxpub.models.review import PhonePreview, ReviewComment, ReviewSheet, Signoff
from wxpub.models.tokens import TOKEN_SCOPES, ApiToken
from wxpub.models.stats import StatArticle, StatArticleDaily, StatBizDaily, StatPull

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "CommentArticle", "ReaderComment", "CommentAction", "COMMENT_POLICIES", "ACTION_KINDS",
    "Series", "Chapter", "Case", "CaseVersion", "MediaFile", "ImportBatch", "ImportBatchFile",
    "Account", "UserAccount", "Message", "MessageVersion", "Article", "Release", "PublishAttempt",
    "ReleaseTransition",
    "UploadedMedia", "AccessToken", "ApiCallWindow", "CallbackEvent",
    "StatArticle", "StatArticleDaily", "StatBizDaily", "StatPull",
    "ApiToken", "TOKEN_SCOPES", "ReleasePlan",
    "RatingRound", "RatingCase", "RatingExpert", "RatingSheet", "RatingEntry", "Commendation", "LEVELS",
    "User", "StaffSession", "LoginThrottle", "AuditEntry", "AuditHead",
    "Signoff", "ReviewComment", "ReviewSheet", "PhonePreview", "Alert", "OutboxMessage", "Notice", "ROLES",
]
