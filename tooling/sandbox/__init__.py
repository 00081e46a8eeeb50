"""``hub sandbox``: a partner test environment in one command (the hub, the simulators,
a bundle per partner), for integrators to point their own system at."""

from tooling.sandbox.run import SANDBOX_FILE, SandboxPartner, run_sandbox

__all__ = ["SANDBOX_FILE", "SandboxPartner", "run_sandbox"]
