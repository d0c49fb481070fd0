"""Speed-up of moto's backend lookup: ``x_backends[account_id]`` of an account that has its backends is
a plain dict hit.

moto's ``BackendDict.__getitem__`` (moto/core/base_backend.py) calls
``_create_account_specific_backend`` on every lookup, which takes moto's process-global
``backend_lock``, builds ``list(self.keys())`` and tests ``self not in BackendDict._instances`` (a
Python-level ``__eq__`` against every service's BackendDict in use before it). The request dispatch,
the IAM check and the execution log look backends up many times per request: a profile of ``up`` under
8 API clients found this lookup at 20 % of the GIL time (issue 21).

With ``backend_dict_lookup`` on, a lookup first reads the account with ``dict.get`` (atomic under the
GIL) and returns what is there; only an account without its backends yet goes through moto's own
path (lock, create, register in ``_instances``). Why that is the same behaviour:

* moto only ever adds an account inside ``_create_account_specific_backend``, which also registers the
  BackendDict in ``_instances`` before it releases the lock; ``BackendDict.reset`` (and so
  ``backends.reset()`` and ``mock_aws``) clears every registered BackendDict and ``_instances``
  together, under the lock; :func:`.state.load` re-creates accounts through moto's path. So an account
  present means its BackendDict is registered (or is being, by the thread holding the lock, which
  every reader of ``_instances`` that matters - reset, :func:`.state.save` - waits for).
* A lookup that races a reset returns either the old account backend or, after the reset, a new one,
  exactly as moto's lookup does: moto holds the lock only for the lookup, never while the caller uses
  what it got.
"""

from __future__ import annotations

from typing import Any

from moto.core.base_backend import BackendDict

from .registry import REGISTRY, Patch, Patcher

__all__ = ["BACKEND_DICT_LOOKUP"]


def _apply_backend_dict_lookup(patcher: Patcher) -> None:
    moto_getitem = BackendDict.__getitem__
    dict_get = dict.get

    def lookup(self: Any, account_id: str) -> Any:
        account_backend = dict_get(self, account_id)
        if account_backend is not None:  # an AccountSpecificBackend (a dict: an empty one is falsy)
            return account_backend
        return moto_getitem(self, account_id)

    patcher.replace(BackendDict, "__getitem__", lookup)


BACKEND_DICT_LOOKUP = REGISTRY.register(
    Patch(
        "backend_dict_lookup",
        "speed-up",
        "every lookup of a service's backends by account (x_backends[account]) takes moto's global "
        "backend_lock, lists every account and compares the BackendDict with every service's in use "
        "(20% of the up process's GIL time); here the lookup of an account that has its backends is "
        "a plain dict read, and only a new account goes through moto's path",
        _apply_backend_dict_lookup,
    )
)
