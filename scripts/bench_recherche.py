#!/usr/bin/env python3
"""Latency of « Rechercher la collectivité » on the full territories (after `territoires import`).

    DATABASE_URL=postgresql://… .venv/bin/python scripts/bench_recherche.py [--n 1500]

Prints p50/p95/p99 of `rechercher()` and of GET /territoires/recherche (test client, anonymous),
over a fixed pseudo-random mix of what users type: name prefixes, one or two letters, EPCI names,
postal codes being typed, searches filtered by département, abbreviated words.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Commune, Epci  # noqa: E402
from app.territoires import recherche  # noqa: E402

SHORT = ["s", "st", "sa", "la", "le", "saint", "st e", "ste m", "a", "b", "c", "l", "sur", "les", "de"]


def queries(n: int) -> list[tuple[str, dict]]:
    rng = random.Random(42)
    communes = db.session.execute(select(Commune.nom, Commune.codes_postaux, Commune.code,
                                         Commune.departement_code).order_by(Commune.code)).all()
    epcis = db.session.scalars(select(Epci.nom).order_by(Epci.code)).all()
    out = []
    for _ in range(n):
        kind = rng.random()
        nom, cps, code, dep = rng.choice(communes)
        if kind < 0.55:
            out.append((nom[: rng.randint(1, len(nom))], {}))
        elif kind < 0.65:
            out.append((rng.choice(SHORT), {}))
        elif kind < 0.75:
            e = rng.choice(epcis)
            out.append((e[: rng.randint(2, len(e))], {"types": "epci"}))
        elif kind < 0.85:
            out.append((cps.split(",")[0][: rng.randint(2, 5)] if cps else code, {}))
        elif kind < 0.95:
            out.append((nom[: rng.randint(1, len(nom))], {"departement": dep}))
        else:
            out.append((" ".join(w[:3] for w in nom.split("-")), {"types": "commune"}))
    return out


def report(label: str, times: list[float]) -> None:
    times.sort()
    print(f"{db.engine.dialect.name} {label}: n={len(times)} p50={statistics.median(times):.2f} ms "
          f"p95={times[int(len(times) * 0.95)]:.2f} ms p99={times[int(len(times) * 0.99)]:.2f} ms "
          f"max={times[-1]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1500)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        recherche.index_courant()
        print(f"construction de l'index : {(time.perf_counter() - started) * 1000:.0f} ms")
        mix = queries(args.n)
        client = app.test_client()

        def call(q, kw):
            kw = dict(kw)
            if "types" in kw:
                kw["types"] = kw["types"].split(",")
            return recherche.rechercher(q, **kw)

        def http(q, kw):
            response = client.get("/territoires/recherche", query_string={"q": q, **kw})
            assert response.status_code == 200, (q, response.data)

        for label, fn in (("rechercher()", call), ("GET /territoires/recherche", http)):
            for q, kw in mix[:100]:
                fn(q, kw)  # warm up
            times = []
            for q, kw in mix:
                started = time.perf_counter()
                fn(q, kw)
                times.append((time.perf_counter() - started) * 1000)
            report(label, times)


if __name__ == "__main__":
    main()
