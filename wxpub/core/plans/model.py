"""Data shapes of a release plan: what a plan file says, what it expands to, what is wrong with it.

All of these are plain frozen dataclasses so the CLI, the database reconciliation and the tests can
build, compare and print them without touching YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from wxpub.core.errors import ValidationError

PUBLISH = "publish"
MASS_SEND = "mass_send"
MODES = (PUBLISH, MASS_SEND)
MODE_LABELS = {PUBLISH: "发布", MASS_SEND: "群发"}
# ``PlannedRelease.done`` of a release whose time a person set by hand (not a release state): the
# plan keeps that time instead of moving it back to the plan's slot.
MOVED_BY_HAND = "moved_by_hand"

SUBSCRIPTION = "subscription"
SERVICE = "service"
ACCOUNT_TYPES = (SUBSCRIPTION, SERVICE)
ACCOUNT_TYPE_LABELS = {SUBSCRIPTION: "订阅号", SERVICE: "服务号"}

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_TITLE_TEMPLATE = "{chapter}篇丨{series}"
# Placeholders a title template may use: the article titles are made by the renderer from the same
# template, so only its fields (``wxpub.core.render.titles.TITLE_FIELDS``); anything else (a typo, a
# format spec, ``{n}`` which the renderer cannot fill) is rejected at load time.
TITLE_FIELDS = ("series", "chapter", "part")

ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告"}


class PlanError(ValidationError):
    """A plan or holiday file that cannot be read; ``problems`` lists every ``(line, message)``.

    ``message`` is ready for staff: one ``文件:行: 说明`` line per problem.
    """

    code = "plan_invalid"

    def __init__(self, filename: str, problems: list[tuple[int | None, str]]):
        self.filename = filename
        # File order reads best; problems without a line (missing keys) go last.
        self.problems = sorted(problems, key=lambda p: (p[0] is None, p[0] or 0))
        self.line = self.problems[0][0] if self.problems else None
        lines = [f"{filename}:{line}: {text}" if line else f"{filename}: {text}"
                 for line, text in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Blackout:
    """Dates (inclusive) on which nothing of this plan is released."""

    first: date
    last: date
    note: str = ""

    def covers(self, day: date) -> bool:
        """Whether ``day`` lies inside the blackout."""
        return self.first <= day <= self.last


@dataclass(frozen=True)
class ChapterEntry:
    """One release of the serial as the plan file lists it."""

    name: str
    at: datetime | None = None  # aware; overrides the computed time
    mode: str | None = None  # overrides the plan's mode
    part: int | None = None  # installment of a chapter split over several messages
    line: int | None = None  # line in the plan file, for messages

    @property
    def label(self) -> str:
        """The chapter as staff call it, with the installment when there is one."""
        return self.name if self.part is None else f"{self.name}（{self.part}）"


@dataclass(frozen=True)
class Plan:
    """A parsed release plan. ``start`` and ``at`` values are aware datetimes."""

    series: str
    account: str
    mode: str
    chapters: tuple[ChapterEntry, ...]
    account_type: str = SUBSCRIPTION
    timezone: str = DEFAULT_TIMEZONE
    start: datetime | None = None
    interval: timedelta | None = None
    cron: str | None = None
    time_of_day: time | None = None
    workdays_only: bool = False
    blackout: tuple[Blackout, ...] = ()
    holidays_file: str | None = None
    title_template: str = DEFAULT_TITLE_TEMPLATE
    theme: str | None = None
    filename: str = "<plan>"

    def key_for(self, chapter: ChapterEntry) -> str:
        """The stable reconciliation key of a chapter: independent of times and of list order."""
        base = f"{self.series}/{chapter.name}"
        return base if chapter.part is None else f"{base}#{chapter.part}"


@dataclass(frozen=True)
class PlannedRelease:
    """One release computed from a plan.

    ``calendar`` tells where the workday facts for its date came from: ``package``
    (chinese_calendar), ``office`` (the office holiday file) or ``none`` (nobody knows that year's
    holidays yet). ``moved_from`` is the local time the schedule gave before a holiday or blackout
    moved it, with ``moved_because`` saying why.
    """

    chapter: str
    scheduled_at: datetime  # aware, UTC
    local_time: datetime  # aware, plan timezone
    mode: str
    key: str
    part: int | None = None
    index: int = 0  # 1-based position in the plan's chapter list
    title: str = ""
    explicit: bool = False  # time given by the chapter's own ``at``
    calendar: str = "package"
    workday: bool = True  # per the calendar source (weekday only when that is ``none``)
    holiday: str = ""  # Chinese holiday name when the date is a statutory holiday
    adjusted_workday: bool = False  # a weekend day that is a working day (调休)
    moved_from: datetime | None = None
    moved_because: str = ""
    # Set by ``mark_done`` when the chapter's release already went out or is going out: the state of
    # that release (``published``, ``publishing`` …) and its own time. Such a release is skipped:
    # not checked against the clock, not written again.
    done: str = ""
    done_at: datetime | None = None

    @property
    def label(self) -> str:
        """The chapter with its installment, as staff call it."""
        return self.chapter if self.part is None else f"{self.chapter}（{self.part}）"

    @property
    def effective_at(self) -> datetime:
        """When readers get it: the existing release's time once it is done, else the planned one."""
        return self.done_at if self.done and self.done_at is not None else self.scheduled_at


@dataclass(frozen=True)
class PlanIssue:
    """Something wrong (``error``: do not schedule) or doubtful (``warning``) about a plan."""

    severity: str
    message: str
    chapter: str | None = None
    line: int | None = None
    code: str = field(default="", compare=False)  # stable machine name, for tests and the API


ONE_DAY = timedelta(days=1)


def is_day_based(interval: timedelta | None) -> bool:
    """Whether an interval is a whole number of days (then ``time_of_day`` and day moves apply)."""
    return interval is not None and interval >= ONE_DAY and interval % ONE_DAY == timedelta(0)
