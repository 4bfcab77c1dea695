"""Control-flow signals of the pipeline, shared by the pipeline, its steps and the reconciliation,
and how a failed call's WeChat rid goes into an attempt's detail."""


class LeaseLost(Exception):
    """Another worker owns the release now: stop without touching it."""


class Wait(Exception):
    """Nothing more to do now (WeChat is still working); the confirm job will come back."""


def with_rid(detail: dict, error) -> dict:
    """``detail`` with ``"rid"``: WeChat's request id of ``error``, when it gave one (its support
    asks for it, and ``openapi/rid/get`` finds the request by it for 7 days)."""
    rid = getattr(error, "rid", None)
    if rid:
        detail["rid"] = rid
    return detail
