"""Create Kotti's default site (its populator) and publish its 'about' document.

Run with the Kotti virtual environment's python: ``python kotti_publish.py kotti.ini``.
"""

import sys

import transaction
from pyramid.paster import bootstrap


def main(ini):
    env = bootstrap(ini)
    try:
        from kotti.resources import get_root
        from kotti.workflow import get_workflow

        about = get_root()["about"]
        workflow = get_workflow(about)
        if about.state != "public":
            if workflow is not None:
                # the script has no signed-in manager; skip the permission guard
                workflow._transition_to_state(about, "public", None, guards=(),
                                              request=env["request"])
            else:
                about.state = "public"
        state = about.state
        transaction.commit()
        print(f"Kotti 'about' is {state}")
    finally:
        env["closer"]()


if __name__ == "__main__":
    main(sys.argv[1])
