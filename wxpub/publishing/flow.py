"""Control-flow signals of the pipeline, shared by the pipeline, its steps and the reconciliation."""


class LeaseLost(Exception):
    """Another worker owns the release now: stop without touching it."""


class Wait(Exception):
    """Nothing more to do now (WeChat is still working); the confirm job will come back."""
