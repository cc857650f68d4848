"""The workflow definition and its validation."""

import pytest
from zope.interface.verify import verifyClass, verifyObject

from kairan.content.interfaces import IWorkflow
from kairan.content.workflow import (
    DEFAULT_WORKFLOW,
    Transition,
    Workflow,
    WorkflowError,
    get_workflow,
)
from kairan.security.permissions import Permission


def test_workflow_provides_its_interface():
    assert verifyClass(IWorkflow, Workflow)
    assert verifyObject(IWorkflow, DEFAULT_WORKFLOW)


def test_default_workflow_is_valid_and_guarded():
    DEFAULT_WORKFLOW.validate()
    assert [t.name for t in DEFAULT_WORKFLOW.transitions_from("private")] == ["submit",
                                                                                "publish"]
    assert DEFAULT_WORKFLOW.find("publish", "pending").permission == Permission.REVIEW
    assert DEFAULT_WORKFLOW.find("submit", "pending") is None
    assert DEFAULT_WORKFLOW.find("retract", "published").target == "private"
    assert DEFAULT_WORKFLOW.find("reject", "pending").target == "private"
    assert DEFAULT_WORKFLOW.find("submit", "private").permission == Permission.EDIT


@pytest.mark.parametrize("workflow, problem", [
    (Workflow("a", {"private": "P"}, ()), "published"),
    (Workflow("b", {"private": "P", "published": "Pub"}, (), initial="draft"), "draft"),
    (Workflow("c", {"private": "P", "published": "Pub"},
              (Transition("x", "X", ("private",), "gone", Permission.EDIT),)), "gone"),
    (Workflow("d", {"private": "P", "published": "Pub"},
              (Transition("x", "X", (), "published", Permission.EDIT),)), "no source"),
    (Workflow("e", {"private": "P", "published": "Pub"},
              (Transition("x", "X", ("private",), "published", Permission.EDIT),
               Transition("x", "X", ("private",), "published", Permission.EDIT))), "twice"),
    (Workflow("f", {"private": "P", "published": "Pub"},
              (Transition("x", "X", ("private",), "published", ""),)), "permission"),
])
def test_inconsistent_workflows_are_refused(workflow, problem):
    with pytest.raises(WorkflowError, match=problem):
        workflow.validate()


def test_get_workflow_falls_back_to_the_default():
    from pyramid.registry import Registry

    assert get_workflow(Registry("t"), "page") is DEFAULT_WORKFLOW
