"""Local emulator of the WeChat official-account APIs wxpub uses (see README.md here).

Import-light on purpose: nothing starts until `create_sandbox_app` or the `sandbox` command runs.
"""
from wxpub.sandbox.config import SandboxConfig, SandboxConfigError

__all__ = ["SandboxConfig", "SandboxConfigError", "create_sandbox_app"]


def create_sandbox_app(config: SandboxConfig | None = None):
    """Build the sandbox Flask app (see wxpub.sandbox.app.create_sandbox_app)."""
    from wxpub.sandbox.app import create_sandbox_app as _create

    return _create(config)
