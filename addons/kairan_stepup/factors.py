"""What every factor kind shares: the ``Factor`` row the settings page shows, the
directive that registers a kind, and the questions asked across kinds."""

from dataclasses import dataclass
from datetime import datetime

from kairan.directives import register_named
from kairan_stepup.interfaces import IFactorKind


@dataclass(frozen=True)
class Factor:
    """One enrolled factor as the settings page lists it."""

    kind: str  # the IFactorKind's name
    id: str  # unique within the kind, used in the remove form
    nickname: str
    level: int  # the assurance level a success proves (1-3)
    added: datetime
    last_used: datetime | None = None


def add_factor_kind(config, kind):
    """Directive: register an ``IFactorKind``."""
    register_named(config, kind, IFactorKind, "kairan_stepup.factor_kind", "factor kind",
                   "kind")


def factor_kinds(registry):
    return sorted((kind for _name, kind in registry.getUtilitiesFor(IFactorKind)),
                  key=lambda kind: (kind.order, kind.name))


def all_factors(request, user):
    """Every factor of ``user``, of every registered kind."""
    return [factor for kind in factor_kinds(request.registry)
            for factor in kind.factors(request, user)]
