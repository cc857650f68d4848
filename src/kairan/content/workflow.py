"""Content workflow, defined in Python and checked when the application starts.

The default workflow has three states (private, pending review, published)
and four transitions guarded by permissions; the ACL of a node follows its
state (``Node.__acl__``). An add-on type may use another workflow:

    config.add_workflow(my_workflow, content_types=("meeting",))

Two workflows with one name, or two workflows for one type, fail at start-up
with a configuration conflict. ``kairan.content.services.transition`` is the
only code that changes ``node.state``.
"""

from dataclasses import dataclass

from zope.interface import Interface, implementer

from kairan.content.interfaces import IWorkflow
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

PRIVATE = "private"
PENDING = "pending"
PUBLISHED = "published"
REQUIRED_STATES = (PRIVATE, PUBLISHED)
ANY_TYPE = "*"


class WorkflowError(ValueError):
    """A workflow definition is inconsistent; the message says how."""


@dataclass(frozen=True)
class Transition:
    name: str
    title: object
    sources: tuple
    target: str
    permission: str


@implementer(IWorkflow)
@dataclass(frozen=True)
class Workflow:
    name: str
    states: dict
    transitions: tuple
    initial: str = PRIVATE

    def transitions_from(self, state):
        return [t for t in self.transitions if state in t.sources]

    def find(self, name, state):
        for candidate in self.transitions_from(state):
            if candidate.name == name:
                return candidate
        return None

    def state_title(self, state):
        return self.states.get(state, state)

    def validate(self):
        missing = [s for s in REQUIRED_STATES if s not in self.states]
        if missing:
            raise WorkflowError(f"workflow {self.name!r} lacks the state(s) {missing}")
        if self.initial not in self.states:
            raise WorkflowError(f"workflow {self.name!r}: unknown initial state {self.initial!r}")
        seen = set()
        for t in self.transitions:
            for state in (*t.sources, t.target):
                if state not in self.states:
                    raise WorkflowError(
                        f"workflow {self.name!r}, transition {t.name!r}: unknown state {state!r}"
                    )
            if not t.sources:
                raise WorkflowError(f"workflow {self.name!r}, transition {t.name!r}: no source")
            for source in t.sources:
                if (t.name, source) in seen:
                    raise WorkflowError(
                        f"workflow {self.name!r}: transition {t.name!r} defined twice from "
                        f"{source!r}"
                    )
                seen.add((t.name, source))
            if not t.permission:
                raise WorkflowError(f"workflow {self.name!r}, transition {t.name!r}: "
                                    "no permission")


DEFAULT_WORKFLOW = Workflow(
    name="default",
    states={
        PRIVATE: _("Private"),
        PENDING: _("Pending review"),
        PUBLISHED: _("Published"),
    },
    transitions=(
        Transition("submit", _("Submit for review"), (PRIVATE,), PENDING, Permission.EDIT),
        Transition("publish", _("Publish"), (PENDING, PRIVATE), PUBLISHED, Permission.REVIEW),
        Transition("reject", _("Send back to the author"), (PENDING,), PRIVATE, Permission.REVIEW),
        Transition("retract", _("Unpublish"), (PUBLISHED,), PRIVATE, Permission.REVIEW),
    ),
)


class IWorkflowBinding(Interface):
    """The workflow used by one content type (utility named by the type; '*' is the default)."""


def add_workflow(config, workflow, content_types=(ANY_TYPE,)):
    """Directive: register ``workflow`` (an ``IWorkflow``) for ``content_types``.

    The definition is validated immediately: an unknown state or a
    transition without a source fails at start-up. ``content_types``
    defaults to every type without a workflow of its own.
    """
    workflow = config.maybe_dotted(workflow)
    if not IWorkflow.providedBy(workflow):
        raise TypeError(f"{workflow!r} does not provide IWorkflow")
    workflow.validate()

    def register_workflow():
        config.registry.registerUtility(workflow, IWorkflow, name=workflow.name)

    intr = config.introspectable("kairan workflows", workflow.name, workflow.name,
                                 "kairan workflow")
    intr["content_types"] = tuple(content_types)
    config.action(("kairan.workflow", workflow.name), register_workflow, introspectables=(intr,))
    for type_name in content_types:
        def bind(type_name=type_name):
            config.registry.registerUtility(workflow, IWorkflowBinding, name=type_name)

        config.action(("kairan.workflow_for", type_name), bind)


def get_workflow(registry, type_name) -> Workflow:
    """The workflow of ``type_name`` (its own, else the default one)."""
    found = registry.queryUtility(IWorkflowBinding, name=type_name)
    if found is None:
        found = registry.queryUtility(IWorkflowBinding, name=ANY_TYPE)
    return found if found is not None else DEFAULT_WORKFLOW
