"""Start-up imports what serving needs; the heavy libraries load where they are used, and still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import inspect, text

from training.extensions import db
from training.qr import qr_svg

from .conftest import ROOT, make_app

HEAVY = ("weasyprint", "pydyf", "fontTools", "alembic", "flask_migrate", "qrcode", "PIL", "multiprocessing", "rq")


def test_create_app_leaves_heavy_libraries_unimported(tmp_path):
    script = (
        "import json, sys\n"
        "from training import create_app\n"
        "create_app()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    env = {
        **os.environ,
        "SECRET_KEY": "startup-test-" + "x" * 32,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        "MANUAL_CACHE_DIR": str(tmp_path / "manuals"),
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_flask_db_commands_work_when_first_used(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)
    with app.app_context():
        db.drop_all()  # make_app creates the tables; the migrations are to do it here
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["--help"])
    assert "Perform database migrations." in listed.output
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    with app.app_context():
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
    downgraded = runner.invoke(args=["db", "downgrade", "--", "-1"])
    assert downgraded.exit_code == 0, downgraded.output
    with app.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() != version


def test_qr_codes_still_render():
    svg = qr_svg("https://example.org/verify/ABC")
    assert svg.startswith("<svg") and "path" in svg
