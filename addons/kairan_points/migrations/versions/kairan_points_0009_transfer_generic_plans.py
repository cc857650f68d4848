"""kairan_points: ``points_transfer`` runs its statements with generic plans

The body is 0008's, statement for statement; the function gains one attribute,
``SET plan_cache_mode = force_generic_plan``. Each statement of a PL/pgSQL
function keeps a cached plan, but PostgreSQL's plan cache uses a generic plan
only when its estimated cost is no higher than that of the plans made for the
calls' own values. For the statements driven by an array argument (the lock of
the accounts, the lots a wallet debit spends, the guarded updates of balances
and lots) the generic plan assumes ten elements where a call has two: costed
higher, it was never used, and those statements were planned again on every
call, over a quarter of the PostgreSQL CPU of a payment. Their generic plans are
the same index scans (accounts and lots by primary key, a wallet's lots by
account), so the results are unchanged: the same locks in the same order, the
same checks, refusals and writes.

Measured with one committed wallet-to-till call at a time on the bench
database: about 0.95 ms of PostgreSQL backend CPU per transfer before, 0.69 ms
after (a 2-core VM, ~10 % noise). Doing steps 1 and 3 in one locking statement,
the lines and the lot entries in one INSERT each, was also measured: no gain
beyond the noise once the plans are generic, so the body stays as it was (the
lot entries still its last write, where the server-killed test stops a payment).

Revision ID: kairan_points_0009
Revises: kairan_points_0008
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "kairan_points_0009"
down_revision = "kairan_points_0008"
branch_labels = None
depends_on = None


def _function_0008():
    """0008's ``CREATE FUNCTION`` text (the versions folder is not a package: the
    module is loaded from its file)."""
    path = Path(__file__).with_name("kairan_points_0008_transfer_function.py")
    spec = importlib.util.spec_from_file_location("kairan_points_0008_transfer_function", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FUNCTION


def _replace_once(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _create_or_replace(function):
    return _replace_once(function, "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_replace_once(
            _create_or_replace(_function_0008()), "LANGUAGE plpgsql VOLATILE AS $$",
            "LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        # CREATE OR REPLACE sets every attribute: the SET clause goes with it
        op.execute(_create_or_replace(_function_0008()))
