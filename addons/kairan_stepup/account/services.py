"""What the security settings pages decide: the level an account requires, which
factors it may lose, and the fresh step-up that adding or removing one needs."""

from kairan.security.assurance import insufficient_assurance
from kairan_stepup.factors import factor_kinds

# seconds: how recent the step-up before adding or removing a factor must be
FRESH_SECONDS = 300


def parse_role_levels(value) -> dict:
    """``"Manager:2 Operator:3"`` (or a list of such words) -> {"Manager": 2, "Operator": 3}."""
    words = value.split() if isinstance(value, str) else list(value or ())
    levels = {}
    for word in words:
        role, sep, level = word.rpartition(":")
        if not sep or not role or level not in ("1", "2", "3"):
            raise ValueError(f"kairan.stepup.role_levels: {word!r} is not Role:1, Role:2 or "
                             "Role:3")
        levels[role] = int(level)
    return levels


def required_level(request, user) -> int:
    """The level the account must always be able to reach (1: no second factor needed)."""
    levels = request.registry.settings.get("kairan.stepup.role_levels") or {}
    return max((levels.get(role, 1) for role in user.role_names), default=1)


def standing_factors(request, user, kinds=None):
    """[(kind, factor)] of the user, without recovery-only kinds (recovery codes)."""
    kinds = kinds if kinds is not None else factor_kinds(request.registry)
    return [(kind, factor) for kind in kinds if not getattr(kind, "recovery_only", False)
            for factor in kind.factors(request, user)]


def may_remove(request, user, kind_name, factor_id) -> bool:
    """False if removing the factor leaves no standing factor of the level the account
    requires (while the factor itself reaches that level)."""
    needed = required_level(request, user)
    if needed < 2:
        return True
    standing = standing_factors(request, user)
    target = [f for k, f in standing if k.name == kind_name and f.id == factor_id]
    if not target or target[0].level < needed:
        return True
    return any(f.level >= needed for k, f in standing
               if not (k.name == kind_name and f.id == factor_id))


def removal_level(factor) -> int:
    """Removing a factor needs a fresh step-up at its own level (at least 2): a weaker
    factor, once phished, cannot take a stronger one away."""
    return max(2, factor.level)


def enrolment_guard(request):
    """None if the signed-in user may add a factor now, else the step-up response.

    The first second factor needs only the password sign-in; once the account
    has one, adding another needs a fresh level-2 step-up, so a stolen
    password alone cannot add the thief's own phone to the account.
    """
    user = request.user
    if standing_factors(request, user) and \
            not request.assurance.satisfies(2, FRESH_SECONDS):
        return insufficient_assurance(request, 2, FRESH_SECONDS)
    return None
