"""Chameleon compiles a template the first time it renders; on CPython 3.11.0–3.11.7
and 3.12.0 two threads compiling at once can fail with ``SystemError: AST constructor
recursion depth mismatch`` (python/cpython#106905, fixed in 3.11.8 and 3.12.1). A
server's first concurrent requests after a start then answer 500 (nothing is
written; the bench of the points wallet hit it). On those versions compilation goes
through one lock; a compiled template renders without it, so only the first render of
each template waits.
"""

import sys
import threading

AFFECTED = ((3, 11, 0) <= sys.version_info[:3] < (3, 11, 8)
            or sys.version_info[:3] == (3, 12, 0))

_lock = threading.RLock()


def serialise_compilation(force=False):
    """Make ``chameleon.template.BaseTemplate._cook`` take one process-wide lock (once)."""
    from chameleon.template import BaseTemplate

    if not (AFFECTED or force) or getattr(BaseTemplate._cook, "kairan_serialised", False):
        return False
    cook = BaseTemplate._cook

    def serialised_cook(self, *args, **kwargs):
        with _lock:
            return cook(self, *args, **kwargs)

    serialised_cook.kairan_serialised = True
    serialised_cook.__wrapped__ = cook
    BaseTemplate._cook = serialised_cook
    return True
