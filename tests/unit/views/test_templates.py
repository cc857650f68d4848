"""Chameleon's template compilation is serialised where CPython's AST constructor is not
thread-safe (python/cpython#106905)."""

import sys
import threading
import time

from chameleon.template import BaseTemplate
from chameleon.zpt.template import PageTemplate

from kairan.views import templates


def test_the_affected_versions_are_the_known_ones():
    assert templates.AFFECTED == (
        (3, 11, 0) <= sys.version_info[:3] < (3, 11, 8) or sys.version_info[:3] == (3, 12, 0))


def test_compilations_never_overlap_once_serialised(monkeypatch):
    running, most = [0], [0]
    guard = threading.Lock()

    def slow_cook(self, *args, **kwargs):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with guard:
            running[0] -= 1
        return {}

    monkeypatch.setattr(BaseTemplate, "_cook", slow_cook)
    assert templates.serialise_compilation(force=True) is True
    assert templates.serialise_compilation(force=True) is False  # wrapped once only
    assert BaseTemplate._cook.__wrapped__ is slow_cook

    start = threading.Barrier(8)

    def compile_one():
        start.wait()
        BaseTemplate._cook(object(), "body", "name", ())

    threads = [threading.Thread(target=compile_one) for _n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_templates_compiled_from_many_threads_at_once_render(app_config):
    # app_config has run the core's includeme: on an affected Python the lock is in place
    assert getattr(BaseTemplate._cook, "kairan_serialised", False) == templates.AFFECTED
    results, errors = {}, []
    start = threading.Barrier(12)

    def render(n):
        source = f'<p tal:repeat="i range({n % 3 + 1})">${{i}}-{n}-${{"x" * {n}}}</p>'
        template = PageTemplate(source)
        start.wait()
        try:
            results[n] = template.render()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=render, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results[4].split() == ["<p>0-4-xxxx</p>", "<p>1-4-xxxx</p>"]
