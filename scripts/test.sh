#!/usr/bin/env bash
# The whole test suite: on SQLite, then on PostgreSQL (mandatory when CI=true, else skipped
# with a visible message when no server answers on 127.0.0.1:5432).
set -euo pipefail
BIN=${BIN:-.venv/bin}
PG_URL=${HOTLINE_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

# The browser tests need Debian's Chromium (no browser download at run time), and a Chinese font so
# that "fits a phone" is measured on real glyphs (without one, every character is a narrow box).
PACKAGES=""
[ -x /usr/bin/chromium ] || PACKAGES="chromium"
fc-list :lang=zh 2>/dev/null | grep -q . || PACKAGES="$PACKAGES fonts-wqy-microhei"
if [ -n "$PACKAGES" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing$PACKAGES for the browser tests"
    # shellcheck disable=SC2086  # a list of package names
    (apt-get install -y -q $PACKAGES >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q $PACKAGES >/dev/null)) \
      || echo "!! could not install$PACKAGES"
  else
    echo "!! missing:$PACKAGES — not root: install these Debian packages to run the browser tests as users see them"
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
