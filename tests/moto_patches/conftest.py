"""The plain-moto fixtures of test_gaps.py, for the patch tests in the modules beside it."""

from tests.moto_patches.test_gaps import moto_aws, runtime_hooks

__all__ = ["moto_aws", "runtime_hooks"]
