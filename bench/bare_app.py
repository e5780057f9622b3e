"""The yardstick: a bare Flask app serving one Jinja template of the same HTML as a PeerPath page.

``BARE_PAGES`` names a folder of ``<name>.html`` files (saved PeerPath pages); ``GET /<name>``
renders that file as a Jinja template, with no database, session, locale or curriculum. Run it
the same way as PeerPath: ``BARE_PAGES=dir gunicorn -w 2 bench.bare_app:app``.
"""

from __future__ import annotations

import os

from flask import Flask, render_template

app = Flask(__name__, template_folder=os.environ.get("BARE_PAGES", "."))


@app.get("/<name>")
def page(name: str):
    return render_template(f"{name}.html")
