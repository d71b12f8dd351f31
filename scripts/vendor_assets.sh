#!/usr/bin/env bash
# Reinstall the front-end libraries served from app/static/vendor/ (préfecture networks reach no CDN).
#
#   scripts/vendor_assets.sh
#
# Fetches the pinned npm packages with `npm pack` (npm registry only), checks their integrity, copies
# only the files the pages use, strips source-map comments (the maps are not shipped) and rewrites
# app/static/vendor/README.md. To upgrade: change a version below, set its integrity to the value
# `npm view <package>@<version> dist.integrity` prints, run the script, then `.venv/bin/pytest
# tests/test_assets.py` and look at a public page and a statistics page.
set -euo pipefail

DSFR_VERSION="1.15.3"
DSFR_INTEGRITY="sha512-R9AALZc1LfZjtytWZMOaUIOHWTkllBZ/sZlsL8TpKZVgF3qUKXt/uNYh+L1D1Fh4p92ZqWxbtNcebsigBZe5pQ=="
CHARTJS_VERSION="4.6.1"
CHARTJS_INTEGRITY="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
# DSFR utility icon classes (fr-icon-…) shipped, by category; the icons the core CSS itself uses are
# always copied. Every category adds 100 to 500 KB of SVG.
DSFR_ICON_CATEGORIES=(system arrows document user)

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/app/static/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

fetch() {  # fetch <package@version> <expected integrity> <dest dir>
    local spec="$1" expected="$2" dest="$3" tarball actual
    tarball="$(cd "$TMP" && npm pack --silent "$spec" | tail -1)"
    actual="sha512-$(openssl dgst -sha512 -binary "$TMP/$tarball" | base64 -w0)"
    if [[ "$actual" != "$expected" ]]; then
        echo "Intégrité inattendue pour $spec : $actual" >&2
        exit 1
    fi
    mkdir -p "$dest"
    tar -xzf "$TMP/$tarball" -C "$dest" --strip-components=1
}

strip_source_maps() {  # the .map files are not vendored: no 404 in the browser's devtools
    sed -i -e '/^\/\/# sourceMappingURL=/d' -e 's|/\*# sourceMappingURL=[^*]*\*/||' "$@"
}

# --- DSFR ------------------------------------------------------------------------------------------
fetch "@gouvfr/dsfr@$DSFR_VERSION" "$DSFR_INTEGRITY" "$TMP/dsfr"
SRC="$TMP/dsfr/dist"
OUT="$VENDOR/dsfr"
rm -rf "$OUT"
mkdir -p "$OUT/fonts" "$OUT/favicon" "$OUT/utility/icons"
cp "$SRC/dsfr.min.css" "$SRC/dsfr.module.min.js" "$SRC/dsfr.nomodule.min.js" "$OUT/"
cp "$SRC"/fonts/*.woff2 "$SRC"/fonts/*.woff "$OUT/fonts/"
cp "$SRC"/favicon/* "$OUT/favicon/"
cp "$TMP/dsfr/LICENSE.md" "$OUT/LICENSE.md"
# Icons the core stylesheet points at (url(icons/…)), wherever their category.
grep -o 'url(icons/[^)]*)' "$SRC/dsfr.min.css" | sed -e 's/^url(//' -e 's/)$//' | sort -u | while read -r icon; do
    mkdir -p "$OUT/$(dirname "$icon")"
    cp "$SRC/$icon" "$OUT/$icon"
done
for category in "${DSFR_ICON_CATEGORIES[@]}"; do
    mkdir -p "$OUT/utility/icons/icons-$category" "$OUT/icons/$category"
    cp "$SRC/utility/icons/icons-$category/icons-$category.min.css" "$OUT/utility/icons/icons-$category/"
    cp "$SRC/icons/$category/"*.svg "$OUT/icons/$category/"
done
strip_source_maps "$OUT"/*.min.css "$OUT"/*.min.js "$OUT"/utility/icons/*/*.min.css

# --- Chart.js --------------------------------------------------------------------------------------
fetch "chart.js@$CHARTJS_VERSION" "$CHARTJS_INTEGRITY" "$TMP/chartjs"
OUT="$VENDOR/chartjs"
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$TMP/chartjs/dist/chart.umd.min.js" "$OUT/"
cp "$TMP/chartjs/LICENSE.md" "$OUT/LICENSE.md"
strip_source_maps "$OUT/chart.umd.min.js"

# --- README ----------------------------------------------------------------------------------------
cat > "$VENDOR/README.md" <<EOF
# Bibliothèques front-end embarquées

Servies par l'application elle-même (\`/static/vendor/…\`) : les réseaux des préfectures n'accèdent à
aucun CDN. **Ne pas modifier à la main** : \`scripts/vendor_assets.sh\` réinstalle ces fichiers depuis le
registre npm (versions et empreintes d'intégrité épinglées dans le script) et réécrit ce fichier.

| Paquet npm | Version | Licence | Dossier | Fichiers conservés |
| --- | --- | --- | --- | --- |
| [\`@gouvfr/dsfr\`](https://www.npmjs.com/package/@gouvfr/dsfr) (Système de design de l'État) | $DSFR_VERSION | Etalab 2.0 (licence ouverte), usage réservé aux sites de l'État (\`dsfr/LICENSE.md\`) | \`dsfr/\` | \`dsfr.min.css\`, \`dsfr.module.min.js\`, \`dsfr.nomodule.min.js\`, polices Marianne et Spectral (\`fonts/\`), favicons, icônes utilisées par la feuille de style, classes d'icônes \`fr-icon-*\` des catégories ${DSFR_ICON_CATEGORIES[*]} (\`utility/icons/\`) |
| [\`chart.js\`](https://www.npmjs.com/package/chart.js) | $CHARTJS_VERSION | MIT (\`chartjs/LICENSE.md\`) | \`chartjs/\` | \`chart.umd.min.js\` (build UMD : \`window.Chart\`) |

Intégrité des archives npm :

- \`@gouvfr/dsfr@$DSFR_VERSION\` : \`$DSFR_INTEGRITY\`
- \`chart.js@$CHARTJS_VERSION\` : \`$CHARTJS_INTEGRITY\`

Utilisation :

- pages publiques : étendre \`public/base_public.html\` (gabarit DSFR : en-tête, pied de page, liens
  d'évitement ; blocs \`title\`, \`content\`, \`scripts\`) ;
- graphiques : \`<script src="{{ url_for('static', filename='vendor/chartjs/chart.umd.min.js') }}"></script>\`
  puis \`new Chart(canvas, {...})\` ;
- une icône DSFR hors de la catégorie \`system\` : ajouter la feuille de sa catégorie
  (\`vendor/dsfr/utility/icons/icons-<catégorie>/icons-<catégorie>.min.css\`), et la catégorie au script
  si elle manque.
EOF

du -sh "$VENDOR/dsfr" "$VENDOR/chartjs"
