"""Package discovery across the three top-level folders.

The core lives in src/, built-in add-ons in addons/ and themes in themes/,
each package wired exactly as a third party's would be; setup.cfg holds all
other metadata.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOTS = ("src", "addons", "themes")
package_dir = {}
packages = []
for root in ROOTS:
    for top in sorted(Path(root).glob("*/__init__.py")):
        name = top.parent.name
        package_dir[name] = f"{root}/{name}"
        packages.append(name)
        packages.extend(
            f"{name}.{sub}" for sub in find_namespace_packages(f"{root}/{name}")
            if "__pycache__" not in sub and "node_modules" not in sub
        )

setup(package_dir=package_dir, packages=packages)
