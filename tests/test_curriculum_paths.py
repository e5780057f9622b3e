"""Curriculum files are served only when their resolved path stays inside the curriculum folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from training.curriculum import check_curriculum
from training.curriculum.paths import resolve_inside
from training.manuals.pdf import FetchRefused, LocalFetcher

from .conftest import FIXTURE_CURRICULUM, make_app


@pytest.fixture
def cur(tmp_path) -> Path:
    root = tmp_path / "curriculum"
    shutil.copytree(FIXTURE_CURRICULUM, root)
    return root


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "instance" / "peerpath.db"
    path.parent.mkdir()
    path.write_bytes(b"SQLite format 3\x00 password hashes and reflections")
    return path


def test_image_symlink_to_the_database_is_not_served(cur, secret, database_url, tmp_path):
    images = cur / "modules" / "basics" / "images"
    (images / "db.png").symlink_to(secret)
    (images / "passwd.png").symlink_to("/etc/passwd")
    (images / "folder").symlink_to(secret.parent, target_is_directory=True)
    client = make_app(database_url, tmp_path, cur).test_client()
    with client.get("/en/modules/basics/images/tree.png") as response:
        assert response.status_code == 200
    for name in ("db.png", "passwd.png", "folder/peerpath.db"):
        response = client.get(f"/en/modules/basics/images/{name}")
        assert response.status_code == 404, name
        assert b"password hashes" not in response.data and b"root:" not in response.data


def test_a_symlinked_module_file_outside_is_not_rendered(cur, tmp_path, database_url):
    outside = tmp_path / "elsewhere.md"
    shutil.copy(cur / "modules" / "listening" / "en.md", outside)
    text = outside.read_text().replace("\n## ", "\nSECRET-OUTSIDE-TEXT\n\n## ", 1)
    outside.write_text(text)
    (cur / "modules" / "listening" / "en.md").unlink()
    (cur / "modules" / "listening" / "en.md").symlink_to(outside)
    client = make_app(database_url, tmp_path, cur).test_client()
    assert b"SECRET-OUTSIDE-TEXT" not in client.get("/en/modules/listening/").data


def test_link_inside_the_folder_is_still_followed(cur):
    images = cur / "modules" / "basics" / "images"
    (images / "copy.png").symlink_to(images / "tree.png")
    assert resolve_inside(cur, "modules/basics/images/copy.png") == (images / "tree.png").resolve()
    assert resolve_inside(cur, "modules/basics/images/../../../../instance/x") is None  # climbs out
    assert resolve_inside(cur, "/etc/passwd") is None
    assert resolve_inside(cur, "modules/basics/images/none.png") is None


def test_pdf_fetcher_refuses_links_out_of_the_curriculum(cur, secret):
    link = cur / "modules" / "basics" / "images" / "db.png"
    link.symlink_to(secret)
    fetcher = LocalFetcher([cur])
    with pytest.raises(FetchRefused):
        fetcher.fetch(link.as_uri())


def test_check_reports_every_symlink_as_an_error(cur, secret, runner):
    images = cur / "modules" / "basics" / "images"
    (images / "db.png").symlink_to(secret)
    (images / "copy.png").symlink_to(images / "tree.png")
    found = [str(p) for p in check_curriculum(cur) if p.level == "error"]
    assert any("modules/basics/images/db.png" in p and "outside the curriculum folder" in p for p in found), found
    assert any("modules/basics/images/copy.png" in p and "symbolic link" in p for p in found), found
    result = runner.invoke(args=["curriculum", "check", "--path", str(cur)])
    assert result.exit_code == 1
    assert "curriculum/modules/basics/images/db.png:1: error:" in result.output
