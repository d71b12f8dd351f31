#!/usr/bin/env bash
# Refresh the French catalogue after a Flask-AppBuilder upgrade or new translatable strings in app/.
#
#   scripts/update_translations.sh          # extract, then merge into translations/fr (new entries empty)
#   .venv/bin/pybabel compile -d translations   # what `make install` runs (the .mo is not versioned)
#
# Extracts every msgid of the installed Flask-AppBuilder (python + jinja templates) and of our app/
# into translations/messages.pot, then updates translations/fr/LC_MESSAGES/messages.po. Translate the
# new or fuzzy entries, then check: `.venv/bin/pytest tests/test_francais.py`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
PYBABEL="$ROOT/.venv/bin/pybabel"
SITE="$("$PY" -c 'import flask_appbuilder, os; print(os.path.dirname(os.path.dirname(flask_appbuilder.__file__)))')"
FAB_VERSION="$("$PY" -c 'import flask_appbuilder; print(flask_appbuilder.__version__)')"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# FAB marks strings with lazy_gettext, gettext as __ (menu) and lazy_formatter_gettext.
KEYWORDS=(-k lazy_gettext -k __ -k lazy_formatter_gettext -k _l)

(cd "$SITE" && "$PYBABEL" -q extract -F "$ROOT/babel.cfg" "${KEYWORDS[@]}" \
    -o "$TMP/fab.pot" flask_appbuilder)
(cd "$ROOT" && "$PYBABEL" -q extract -F babel.cfg "${KEYWORDS[@]}" -o "$TMP/app.pot" app)

"$PY" - "$TMP/fab.pot" "$TMP/app.pot" "$ROOT/translations/messages.pot" "$FAB_VERSION" <<'PYEOF'
import sys

from babel.messages.pofile import read_po, write_po

fab_pot, app_pot, out, fab_version = sys.argv[1:]
with open(fab_pot, "rb") as f:
    catalog = read_po(f)
with open(app_pot, "rb") as f:
    for message in read_po(f):
        if not message.id:
            continue
        if message.id in catalog:
            catalog[message.id].locations.extend(message.locations)
        else:
            catalog[message.id] = message
catalog.project = "Pilotage France Numérique Ensemble"
catalog.version = f"(Flask-AppBuilder {fab_version})"
catalog.copyright_holder = "Agence nationale de la cohésion des territoires"
catalog.msgid_bugs_address = ""
with open(out, "wb") as f:
    write_po(f, catalog, width=100, sort_output=True)
print(f"{len(catalog)} msgids -> {out}")
PYEOF

PO="$ROOT/translations/fr/LC_MESSAGES/messages.po"
if [[ -f "$PO" ]]; then
    "$PYBABEL" -q update -i "$ROOT/translations/messages.pot" -d "$ROOT/translations" -l fr -w 100 --no-fuzzy-matching --ignore-obsolete
else
    "$PYBABEL" -q init -i "$ROOT/translations/messages.pot" -d "$ROOT/translations" -l fr -w 100
fi
"$PY" - "$PO" <<'PYEOF'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as f:
    catalog = read_po(f)
todo = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
print(f"{sys.argv[1]}: {len(catalog)} msgids, {len(todo)} to translate")
for msgid in todo:
    print("  -", msgid)
PYEOF
