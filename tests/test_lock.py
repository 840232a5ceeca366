"""requirements.lock is what the set-up installs: it must agree with pyproject.toml (the
same direct dependencies, each pin inside its range) and with what is installed."""

from __future__ import annotations

import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO, lock_entries, locked_version


def pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return {canonicalize_name(r.name): r for r in map(Requirement, reqs)}


def test_lock_and_pyproject_name_the_same_direct_dependencies():
    wanted = pyproject_requirements()
    locked = lock_entries()
    direct = {name for name, (_, via) in locked.items() if "(pyproject.toml)" in via}
    assert set(wanted) - set(locked) == set(), "in pyproject.toml, not locked: run scripts/lock.sh"
    assert direct == set(wanted), (
        f"lock lists as direct but pyproject.toml does not: {sorted(direct - set(wanted))}; "
        "run scripts/lock.sh")


def test_every_pin_is_inside_pyprojects_range():
    locked = lock_entries()
    for name, req in pyproject_requirements().items():
        version = Version(locked[name][0])
        assert req.specifier.contains(version, prereleases=True), (
            f"{name}: lock pins {version}, pyproject.toml asks {req.specifier}")


def test_installed_packages_are_the_locked_ones():
    wrong = []
    for name, (version, _) in lock_entries().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name}: not installed (lock {version})")
            continue
        # "==2.13.0" admits the CPU build "2.13.0+cpu" (PEP 440 local labels)
        if not SpecifierSet(f"=={version}").contains(Version(installed), prereleases=True):
            wrong.append(f"{name}: {installed} installed, lock {version}")
    assert not wrong, "re-run the set-up (make test does): " + "; ".join(wrong)

