#!/usr/bin/env python3
"""Build `data/territoires.json.gz`, the reference territories the application ships.

Source: the official open data package `@etalab/decoupage-administratif` (npm), pinned version.
The script installs it into a temporary directory with npm, keeps only what the application
needs and writes one small, deterministic gzip JSON file (same input -> same bytes). The
application itself never needs Node: it reads the committed file
(`flask --app app territoires import`).

Usage (Node >= 18 and npm on the PATH, network access to the npm registry)::

    python scripts/build_territoires.py                     # -> data/territoires.json.gz
    python scripts/build_territoires.py --source-dir DIR    # an already unpacked package, no npm

To refresh the data: bump `PACKAGE_VERSION`, run the script, check the printed counts, run
`flask --app app territoires import` on a copy of production and read its report (rows that
vanished from the file are listed), then commit the new file.

File layout (``format`` 1): ``{"format", "source", "regions", "departements", "epci", "communes"}``;
each table is ``{"colonnes": [...], "lignes": [[...], ...]}`` sorted by code:

- regions: code, nom, est_com
- departements: code, nom, region, est_com
- epci: code (SIREN), nom, type (CC, CA, CU, METRO, MET69), population (municipale)
- communes (current communes only, ``type == "commune-actuelle"``): code (INSEE), nom,
  departement, region, siren, codes_postaux (list), population, epci (SIREN or null).
  EPCI membership is stored once, on the commune.

The 8 collectivités d'outre-mer (975, 977, 978, 984, 986-989) are listed in the source both as
région and as département: they are kept, with ``est_com`` true.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
PACKAGE_VERSION = "6.0.0"
FORMAT = 1
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "data" / "territoires.json.gz"

COM_CODES = {"975", "977", "978", "984", "986", "987", "988", "989"}
EPCI_TYPES = {"CC", "CA", "CU", "METRO", "MET69"}
EXPECTED = {"regions": 18, "departements": 101}  # without the COM

CODE_REGION = re.compile(r"^\d{2,3}$")
CODE_DEPARTEMENT = re.compile(r"^(\d{2}|2[AB]|9[78]\d)$")
CODE_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
SIREN = re.compile(r"^\d{9}$")
CODE_POSTAL = re.compile(r"^\d{5}$")


class DonneesInvalides(Exception):
    """The source data does not look like what the application expects: nothing is written."""


def install_package(version: str, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm est introuvable : installez Node.js (>= 18) ou utilisez --source-dir.")
    subprocess.run(
        [npm, "install", "--prefix", str(workdir), "--no-audit", "--no-fund", "--ignore-scripts",
         f"{PACKAGE}@{version}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    package_dir = workdir / "node_modules" / Path(*PACKAGE.split("/"))
    installed = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    if installed != version:
        raise DonneesInvalides(f"npm a installé {PACKAGE}@{installed} au lieu de {version}")
    return package_dir


def _load(package_dir: Path, name: str) -> list[dict]:
    with open(package_dir / "data" / name, encoding="utf-8") as fh:
        return json.load(fh)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise DonneesInvalides(message)


def derive(package_dir: Path, source: str) -> dict:
    """The compact document, validated. Raises DonneesInvalides on anything unexpected."""
    raw_regions = _load(package_dir, "regions.json")
    raw_departements = _load(package_dir, "departements.json")
    raw_epci = _load(package_dir, "epci.json")
    raw_communes = _load(package_dir, "communes.json")

    regions = []
    for r in raw_regions:
        _check(bool(CODE_REGION.match(r["code"])), f"code région inattendu : {r['code']!r}")
        regions.append([r["code"], r["nom"].strip(), r.get("zone") == "com"])
    region_codes = {r[0] for r in regions}

    departements = []
    for d in raw_departements:
        _check(bool(CODE_DEPARTEMENT.match(d["code"])), f"code département inattendu : {d['code']!r}")
        _check(d["region"] in region_codes, f"département {d['code']} : région inconnue {d['region']!r}")
        departements.append([d["code"], d["nom"].strip(), d["region"], d.get("zone") == "com"])
    departement_codes = {d[0] for d in departements}

    communes_source = [c for c in raw_communes if c.get("type") == "commune-actuelle"]
    commune_codes = {c["code"] for c in communes_source}
    _check(len(commune_codes) == len(communes_source), "code INSEE en double parmi les communes actuelles")

    epci = []
    epci_of: dict[str, str] = {}
    for e in raw_epci:
        _check(bool(SIREN.match(e["code"])), f"SIREN d'EPCI inattendu : {e['code']!r}")
        _check(e["type"] in EPCI_TYPES, f"EPCI {e['code']} : type inattendu {e['type']!r}")
        for membre in e.get("membres", []):
            code = membre["code"]
            _check(code in commune_codes, f"EPCI {e['code']} : membre {code} absent des communes actuelles")
            _check(code not in epci_of, f"commune {code} membre de deux EPCI ({epci_of.get(code)}, {e['code']})")
            epci_of[code] = e["code"]
        population = e.get("populationMunicipale")
        epci.append([e["code"], e["nom"].strip(), e["type"], population if isinstance(population, int) else None])

    communes = []
    for c in communes_source:
        code = c["code"]
        _check(bool(CODE_COMMUNE.match(code)), f"code INSEE inattendu : {code!r}")
        _check(c["departement"] in departement_codes, f"commune {code} : département inconnu")
        _check(c["region"] in region_codes, f"commune {code} : région inconnue")
        siren = c.get("siren")
        _check(siren is None or bool(SIREN.match(siren)), f"commune {code} : SIREN inattendu {siren!r}")
        codes_postaux = sorted(set(c.get("codesPostaux") or []))
        _check(all(CODE_POSTAL.match(cp) for cp in codes_postaux), f"commune {code} : code postal inattendu")
        population = c.get("population")
        communes.append([code, c["nom"].strip(), c["departement"], c["region"], siren, codes_postaux,
                         population if isinstance(population, int) else None, epci_of.get(code)])

    for table in (regions, departements, epci, communes):
        table.sort(key=lambda row: row[0])

    com_regions = {r[0] for r in regions if r[2]}
    com_departements = {d[0] for d in departements if d[3]}
    _check(com_regions == COM_CODES, f"collectivités d'outre-mer (régions) inattendues : {sorted(com_regions)}")
    _check(com_departements == COM_CODES,
           f"collectivités d'outre-mer (départements) inattendues : {sorted(com_departements)}")
    _check(len(regions) - len(com_regions) == EXPECTED["regions"], f"{len(regions)} régions")
    _check(len(departements) - len(com_departements) == EXPECTED["departements"], f"{len(departements)} départements")

    return {
        "format": FORMAT,
        "source": source,
        "regions": {"colonnes": ["code", "nom", "est_com"], "lignes": regions},
        "departements": {"colonnes": ["code", "nom", "region", "est_com"], "lignes": departements},
        "epci": {"colonnes": ["code", "nom", "type", "population"], "lignes": epci},
        "communes": {
            "colonnes": ["code", "nom", "departement", "region", "siren", "codes_postaux", "population", "epci"],
            "lignes": communes,
        },
    }


def serialise(document: dict) -> bytes:
    """Deterministic bytes: stable JSON (one table row per line) in a gzip without name nor date."""
    lines = ["{"]
    head = [f'"format":{json.dumps(document["format"])}', f'"source":{json.dumps(document["source"])}']
    lines.append(",\n".join(head) + ",")
    tables = []
    for name in ("regions", "departements", "epci", "communes"):
        table = document[name]
        rows = ",\n".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in table["lignes"])
        colonnes = json.dumps(table["colonnes"], separators=(",", ":"))
        tables.append(f'"{name}":{{"colonnes":{colonnes},"lignes":[\n{rows}\n]}}')
    lines.append(",\n".join(tables))
    lines.append("}\n")
    text = "\n".join(lines)
    json.loads(text)  # always valid JSON
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".territoires-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--version", default=PACKAGE_VERSION, help=f"version de {PACKAGE} (défaut {PACKAGE_VERSION})")
    parser.add_argument("--source-dir", type=Path, help="paquet déjà décompressé (contient data/*.json) : pas de npm")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="fichier produit")
    args = parser.parse_args(argv)

    source = f"{PACKAGE}@{args.version}"
    try:
        if args.source_dir:
            document = derive(args.source_dir, source)
        else:
            with tempfile.TemporaryDirectory(prefix="decoupage-administratif-") as workdir:
                document = derive(install_package(args.version, Path(workdir)), source)
    except DonneesInvalides as error:
        print(f"Données inattendues, rien n'a été écrit : {error}", file=sys.stderr)
        return 1

    content = serialise(document)
    write_atomically(args.output, content)
    com = sum(1 for r in document["regions"]["lignes"] if r[2])
    types = Counter(e[2] for e in document["epci"]["lignes"])
    linked = sum(1 for c in document["communes"]["lignes"] if c[7])
    print(f"{args.output} écrit depuis {source} ({len(content) / 1024:.0f} Kio) :")
    print(f"  {len(document['regions']['lignes']) - com} régions et "
          f"{len(document['departements']['lignes']) - com} départements, plus {com} collectivités d'outre-mer")
    print(f"  {len(document['epci']['lignes'])} EPCI ({', '.join(f'{t} {n}' for t, n in sorted(types.items()))})")
    print(f"  {len(document['communes']['lignes'])} communes actuelles, dont {linked} rattachées à un EPCI")
    return 0


if __name__ == "__main__":
    sys.exit(main())
