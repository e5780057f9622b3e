"""`flask manuals build`: one manual, a handout pack, every manual; cached runs; clear errors. And the migration."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from .conftest import make_app
from .manuals_support import add_gujarati, copy_curriculum, page_texts, reader


@pytest.fixture
def app(database_url, tmp_path):
    from training.extensions import db

    root = copy_curriculum(tmp_path)
    add_gujarati(root)
    app = make_app(database_url, tmp_path, root)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.mark.slow
def test_build_one_manual_then_from_the_cache(runner, tmp_path):
    output = tmp_path / "out" / "workbook.pdf"
    args = ["manuals", "build", "--lang", "he", "--audience", "trainee", "--site", "testsite", "--output", str(output)]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "testsite he workbook a4" in first.output and "pages" in first.output
    pdf = reader(output)
    assert pdf.trailer["/Root"]["/Lang"] == "he"
    second = runner.invoke(args=args)
    assert second.exit_code == 0 and "(cached)" in second.output
    assert output.read_bytes() == reader(output).stream.getvalue()


@pytest.mark.slow
def test_build_a_handout_pack_on_letter_paper(runner, tmp_path):
    output = tmp_path / "handouts.pdf"
    result = runner.invoke(
        args=[
            "manuals",
            "build",
            "--lang",
            "en",
            "--handouts",
            "--modules",
            "basics",
            "--paper",
            "letter",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    pages = page_texts(output)
    assert len(pages) == 1 and "Limits card" in pages[0]
    assert float(reader(output).pages[0].mediabox.width) == 612


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "de", "--audience", "trainer", "--output", "x.pdf"], "'de' is not a language"),
        (["--lang", "en", "--audience", "trainer", "--site", "mars", "--output", "x.pdf"], "unknown site"),
        (["--lang", "en", "--audience", "trainer", "--modules", "basics,nope", "--output", "x.pdf"], "unknown module"),
        (["--lang", "en", "--output", "x.pdf"], "give --lang, --audience"),
        (["--lang", "en", "--audience", "pilot", "--output", "x.pdf"], "Invalid value for '--audience'"),
    ],
)
def test_bad_choices_are_named(runner, args, message):
    result = runner.invoke(args=["manuals", "build", *args])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.slow
def test_build_all_builds_every_site_language_and_audience(runner, tmp_path):
    folder = tmp_path / "all"
    result = runner.invoke(args=["manuals", "build", "--all", "--folder", str(folder), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("[")]
    assert len(lines) == 6  # testsite offers he, en, gu; two audiences each
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        f"peerpath-{kind}-{lang}-testsite-a4.pdf" for kind in ("workbook", "manual") for lang in ("he", "en", "gu")
    )
    assert "6 of 6 manuals" in result.output
    again = runner.invoke(args=["manuals", "build", "--all", "--folder", str(folder)])
    assert again.output.count("(cached)") == 6


@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_migration_creates_the_manual_builds_table(database_url, tmp_path):
    """This feature's one migration upgrades a fresh database to exactly the ManualBuild model, and back."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import downgrade, upgrade

    from training.extensions import db

    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.drop_all()
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}), db.metadata)
        assert [d for d in diff if "manual_builds" in repr(d)] == []
        assert "manual_builds" in inspect(db.engine).get_table_names()
        downgrade(revision="fbe41c1cf16f")
        assert "manual_builds" not in inspect(db.engine).get_table_names()
        upgrade()
        db.session.remove()
        db.engine.dispose()
