"""The package's seams: the engine imports without Flask; the factory is still `training.create_app`."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_importing_the_curriculum_engine_loads_no_flask_and_no_database():
    result = _python(
        "import sys, training.curriculum\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_babel', 'sqlalchemy', 'werkzeug'))\n"
        "others = sorted(m for m in sys.modules if m.startswith('training.') and not m.startswith('training.curriculum'))\n"
        "print(loaded, others)\n"
        "assert not loaded and not others\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engine_works_from_a_plain_script():
    result = _python(
        "from training.curriculum import CurriculumStore\n"
        "store = CurriculumStore('curriculum')\n"
        "print(len(store.meta().modules), store.module('peer-role', 'de', None).title)\n"
    )
    assert result.returncode == 0, result.stderr
    count, title = result.stdout.split(" ", 1)
    assert int(count) == 10 and title.strip()


def test_create_app_is_still_importable_from_the_package():
    import training
    from training.app import create_app

    assert training.create_app is create_app
