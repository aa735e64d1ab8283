#!/usr/bin/env bash
# The whole test suite: on SQLite, then on PostgreSQL (mandatory when CI=true, else skipped
# with a visible message when no server answers on 127.0.0.1:5432).
set -euo pipefail
BIN=${BIN:-.venv/bin}
PG_URL=${HOTLINE_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

# The browser tests need Debian's Chromium (no browser download at run time).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing Debian chromium for the browser tests"
    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
      || echo "!! could not install chromium"
  else
    echo "!! /usr/bin/chromium missing and not root: install Debian's chromium package to run the browser tests"
  fi
fi

echo "== tests on SQLite"
HOTLINE_TEST_DATABASE_URL= "$BIN/pytest" -p no:cacheprovider

if "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== tests on PostgreSQL ($PG_URL)"
  HOTLINE_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" -p no:cacheprovider
elif [ "${CI:-}" = "true" ]; then
  echo "!! CI=true and PostgreSQL is not reachable at $PG_URL: failing" >&2
  exit 1
else
  echo "!! SKIPPED the PostgreSQL run: no server at $PG_URL (CI makes it mandatory)"
fi
