#!/usr/bin/env bash
# Every test: lint (ruff, import layers), the whole suite on SQLite (browser tests included), then the
# database-facing tests again on PostgreSQL when the local server answers. Two pytest-xdist
# workers, one test file each at a time (module fixtures such as the browser's live server are
# built once); PYTEST_WORKERS=0 runs everything in this one process.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check .
$BIN/lint-imports  # the layers in pyproject.toml ([tool.importlinter])
PARALLEL=(-n "${PYTEST_WORKERS:-2}" --dist loadfile)
$BIN/python -m pytest "${PARALLEL[@]}" "$@"
if $BIN/python - <<'PY'
import sys
import psycopg
try:
    psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001 - any failure means "not available"
    print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipping the PostgreSQL run", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== the same tests on PostgreSQL (browser and PDF renders are database-independent and skipped) =="
  PEERPATH_TEST_DATABASE=postgresql $BIN/python -m pytest "${PARALLEL[@]}" -m "not browser and not slow" "$@"
fi
