"""三审三校 as data: the stages an office signs off in order, the proofreading rounds, and the rules
a sign-off must pass. Pure: the chain's state is computed from plain records, so the same rules
serve the web pages, the API, the CLI and the release state model.

The default is 初审 (editor, wording) → 复审 (reviewer, facts and basis; also the secrecy review) →
终审 (approver, orientation, go / no-go), with three 校对 rounds recorded before 终审. An office
configures it with ``WXPUB_REVIEW_STAGES`` (``初审,复审,终审`` or ``初审:editor,终审:approver``) and
``WXPUB_PROOFREAD_ROUNDS``.

Rules (each refusal carries a code: ``role`` → HTTP 403, the others → 409):
* a stage is signed by a person whose role the stage allows (``role``);
* stages go in order: only the first stage not yet approved may be signed (``order``);
* nobody signs two stages of the same version (``twice``); a person records one 校对 round at most;
* the last stage needs every 校对 round done (``proofreads``) and no open comment (``comments``);
* a return needs its reason (``reason``, HTTP 400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PROOFREAD = "校对"
APPROVE, REJECT = "approve", "reject"
DECISION_NAMES = {APPROVE: "通过", REJECT: "退回"}

# What each known stage checks, and who signs it by default.
DUTIES = {"初审": "文字表述、错别字、格式", "复审": "事实、数据、政策依据；保密审查",
          "终审": "政治导向，决定是否发布"}
DEFAULT_ROLES = {"初审": ("editor",), "复审": ("reviewer",), "终审": ("approver",)}
SIGNING_ROLES = ("editor", "proofreader", "reviewer", "approver", "admin")
PROOFREAD_ROLES = ("proofreader", "editor")
DEFAULT_STAGES = "初审,复审,终审"
DEFAULT_ROUNDS = 3


class PolicyError(ValueError):
    """A stage configuration that cannot be used (the message names what is wrong)."""


class RuleError(Exception):
    """A sign-off the rules refuse; ``code`` says which rule (see the module's list)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Stage:
    """One stage: its name, the roles that may sign it, and what it checks."""

    name: str
    roles: tuple[str, ...]
    duty: str = ""


@dataclass(frozen=True)
class Policy:
    """The configuration in force: stages in order, 校对 rounds (before the last stage)."""

    stages: tuple[Stage, ...]
    proofread_rounds: int = DEFAULT_ROUNDS
    proofread_roles: tuple[str, ...] = PROOFREAD_ROLES

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    @property
    def last(self) -> Stage:
        return self.stages[-1]

    @property
    def secrecy_stage(self) -> str:
        """The stage that records 是否涉密 and the 保密审查意见 (复审 when there is one)."""
        return "复审" if "复审" in self.names else self.stages[0].name

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def describe(self, role_name=lambda r: r) -> str:
        """"初审（编辑）→ 复审（复审）→ 终审（终审）；终审前校对 3 轮" as printed on every 审核表."""
        chain = " → ".join(f"{s.name}（{'、'.join(role_name(r) for r in s.roles)}）" for s in self.stages)
        rounds = (f"；{self.last.name}前校对 {self.proofread_rounds} 轮" if self.proofread_rounds
                  else "；不要求校对轮次")
        return chain + rounds

    def as_dict(self) -> dict:
        return {"stages": [{"stage": s.name, "roles": list(s.roles), "duty": s.duty} for s in self.stages],
                "proofread_rounds": self.proofread_rounds, "proofread_roles": list(self.proofread_roles),
                "secrecy_stage": self.secrecy_stage}


def parse_policy(stages: str = DEFAULT_STAGES, rounds=DEFAULT_ROUNDS) -> Policy:
    """The policy from its configuration text; ``PolicyError`` names what is wrong."""
    items = [part.strip() for part in str(stages or "").replace("，", ",").split(",") if part.strip()]
    if not items:
        raise PolicyError("至少要有一个审核环节（例如 终审）")
    parsed, seen = [], set()
    for item in items:
        name, _, roles_text = item.partition(":")
        name = name.strip()
        if not name or len(name) > 20 or name == PROOFREAD:
            raise PolicyError(f"审核环节名“{name}”不能用（不能为空、超过 20 字或叫“校对”）")
        if name in seen:
            raise PolicyError(f"审核环节“{name}”重复了")
        seen.add(name)
        roles = tuple(r.strip() for r in roles_text.replace("|", "/").split("/") if r.strip()) \
            if roles_text else DEFAULT_ROLES.get(name, ())
        if not roles:
            raise PolicyError(f"审核环节“{name}”没有写由哪个角色签（例如 {name}:reviewer）")
        unknown = [r for r in roles if r not in SIGNING_ROLES]
        if unknown:
            raise PolicyError(f"审核环节“{name}”的角色 {'、'.join(unknown)} 不存在（可用：{'、'.join(SIGNING_ROLES)}）")
        parsed.append(Stage(name, roles, DUTIES.get(name, "")))
    try:
        count = int(str(rounds).strip())
    except ValueError:
        raise PolicyError(f"校对轮次应为 0–9 的整数，而不是 {rounds!r}") from None
    if not 0 <= count <= 9:
        raise PolicyError(f"校对轮次应为 0–9 的整数，而不是 {rounds!r}")
    return Policy(tuple(parsed), count)


@dataclass(frozen=True)
class Mark:
    """A sign-off as the rules see it (valid ones only: voided rows are left out by the caller)."""

    stage: str
    decision: str
    username: str
    at: datetime
    round: int = 0
    comment: str = ""
    display_name: str = ""


@dataclass
class ChainState:
    """Where the chain of one version stands."""

    policy: Policy
    latest: dict[str, Mark] = field(default_factory=dict)      # stage → its newest decision
    proofreads: list[Mark] = field(default_factory=list)
    signers: dict[str, str] = field(default_factory=dict)      # username → the stage they signed

    @property
    def next_stage(self) -> Stage | None:
        """The first stage whose newest decision is not an approval (None: every stage approved)."""
        for stage in self.policy.stages:
            mark = self.latest.get(stage.name)
            if mark is None or mark.decision != APPROVE:
                return stage
        return None

    @property
    def returned(self) -> Mark | None:
        """The return that stops the chain (the next stage's newest decision is 退回)."""
        stage = self.next_stage
        mark = self.latest.get(stage.name) if stage else None
        return mark if mark is not None and mark.decision == REJECT else None

    @property
    def proofreads_missing(self) -> int:
        return max(0, self.policy.proofread_rounds - len(self.proofreads))

    @property
    def complete(self) -> bool:
        return self.next_stage is None and self.proofreads_missing == 0

    def missing(self) -> list[str]:
        """What the chain still needs, in words: ["初审", "复审", "校对 3 轮"]."""
        needed = [s.name for s in self.policy.stages
                  if self.latest.get(s.name) is None or self.latest[s.name].decision != APPROVE]
        if self.proofreads_missing:
            needed.insert(max(0, len(needed) - 1) if self.policy.last.name in needed else len(needed),
                          f"{PROOFREAD} {self.proofreads_missing} 轮")
        return needed


def chain_state(policy: Policy, marks: list[Mark]) -> ChainState:
    """The chain from its valid sign-offs (any order: they are sorted by time)."""
    state = ChainState(policy)
    for mark in sorted(marks, key=lambda m: (m.at, m.round)):
        if mark.stage == PROOFREAD:
            if mark.decision == APPROVE:
                state.proofreads.append(mark)
            continue
        if policy.stage(mark.stage) is None:
            continue  # a stage no longer configured
        state.latest[mark.stage] = mark
        state.signers.setdefault(mark.username, mark.stage)
    return state


def check(state: ChainState, *, stage: str, decision: str, username: str, role: str,
          comment: str = "", open_comments: int = 0, role_name=lambda r: r) -> None:
    """Raise ``RuleError`` unless ``username`` (with ``role``) may record ``decision`` on ``stage``."""
    policy = state.policy
    if decision not in (APPROVE, REJECT):
        raise RuleError("decision", f"decision 只能是 approve（通过）或 reject（退回），而不是 {decision!r}")
    if decision == REJECT and not comment.strip():
        raise RuleError("reason", "退回必须写明理由")
    if stage == PROOFREAD:
        _check_proofread(state, decision, username, role, role_name)
        return
    target = policy.stage(stage)
    if target is None:
        raise RuleError("stage", f"没有“{stage}”这个审核环节（本单位的流程：{policy.describe(role_name)}）")
    if role not in target.roles:
        raise RuleError("role", f"“{stage}”须由{'或'.join(role_name(r) for r in target.roles)}签署，"
                                f"你的角色是“{role_name(role)}”")
    signed = state.signers.get(username)
    if signed is not None and signed != stage:
        raise RuleError("twice", f"你已签署本版本的“{signed}”，同一人不能再签“{stage}”（一人不能签两个环节）")
    nxt = state.next_stage
    if nxt is None:
        raise RuleError("order", "本版本各审核环节均已通过，无需再签")
    if nxt.name != stage:
        index = policy.names.index(stage)
        if index > policy.names.index(nxt.name):
            raise RuleError("order", f"还没有完成“{nxt.name}”，不能先签“{stage}”（顺序：{' → '.join(policy.names)}）")
        raise RuleError("order", f"“{stage}”已通过，现在等待“{nxt.name}”")
    if decision == APPROVE and target is policy.last:
        if state.proofreads_missing:
            raise RuleError("proofreads", f"“{stage}”前须完成 {policy.proofread_rounds} 轮校对，"
                                          f"还差 {state.proofreads_missing} 轮")
        if open_comments:
            raise RuleError("comments", f"还有 {open_comments} 条审核意见没有处理完（标为已解决后才能{stage}）")


def _check_proofread(state: ChainState, decision: str, username: str, role: str, role_name) -> None:
    policy = state.policy
    if decision != APPROVE:
        raise RuleError("decision", "校对只记录“完成”（approve）；发现问题请在预览中写审核意见")
    if role not in policy.proofread_roles:
        raise RuleError("role", f"校对须由{'或'.join(role_name(r) for r in policy.proofread_roles)}记录，"
                                f"你的角色是“{role_name(role)}”")
    if not policy.proofread_rounds:
        raise RuleError("stage", "本单位的流程不要求校对轮次")
    if state.proofreads_missing == 0:
        raise RuleError("order", f"{policy.proofread_rounds} 轮校对已经完成")
    last = state.latest.get(policy.last.name)
    if last is not None and last.decision == APPROVE:
        raise RuleError("order", f"“{policy.last.name}”已通过，不能再记校对")
    if any(m.username == username for m in state.proofreads):
        raise RuleError("twice", "你已记录过本版本的一轮校对，下一轮须由另一人校对（交叉校对）")
