"""Benchmark: `make bench` (or `python -m bench`).

1. Prepares a scaled data set once and keeps it (PostgreSQL database `bench` by default,
   BENCH_DATABASE_URL to change): reference territories, forms, demo data, `demo seed --scale 10`,
   and conseillers topped up to 100,000 for the export measure.
2. Serves the application with gunicorn on loopback (X-SQL-Count header on) and measures, over
   BENCH_REQUESTS requests per page (default 50): median and p95 latency, SQL statements per request.
3. Side by side: the same lists from a plain Flask-AppBuilder ModelView (baseline, bench/wsgi.py)
   and the bare SQL each page needs (floor); prints the ratios page/baseline and page/floor.
4. Streams the national conseillers CSV in a separate process: seconds and peak memory growth.
Writes bench/results.json and prints a table.
"""

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
SCALE = os.environ.get("BENCH_SCALE", "10")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
ONLY = os.environ.get("BENCH_ONLY", "")  # measure only the pages whose name contains this text
EXPORT_CONSEILLERS = int(os.environ.get("BENCH_EXPORT_CONSEILLERS", "100000"))
ENV = {**os.environ, "DATABASE_URL": DATABASE_URL, "RATELIMIT_ENABLED": "0", "OUTBOX_DELIVER_AFTER_COMMIT": "0",
       "SQL_COUNT_HEADER": "1", "DEMO_CRA_PAR_ECHELLE": os.environ.get("DEMO_CRA_PAR_ECHELLE", "100000")}
os.environ.update(ENV)  # before `config` is imported: this process reads the same database
FLASK = [str(ROOT / ".venv/bin/flask"), "--app", "app"]


def log(message: str) -> None:
    print(message, flush=True)


# --- Data -----------------------------------------------------------------------------------

def ensure_database() -> None:
    if not DATABASE_URL.startswith("postgres"):
        return
    import psycopg

    url = urllib.parse.urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(app) -> None:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Conseiller, Structure

    ensure_database()
    for step in (["db", "upgrade", "heads"], ["roles", "sync"], ["territoires", "import"]):
        subprocess.run(FLASK + step, cwd=ROOT, env=ENV, check=True, capture_output=True)
    forms = subprocess.run(FLASK + ["formulaires", "--help"], cwd=ROOT, env=ENV, capture_output=True)
    if forms.returncode == 0:
        subprocess.run(FLASK + ["formulaires", "load"], cwd=ROOT, env=ENV, check=True, capture_output=True)
    with app.app_context():
        structures = db.session.scalar(select(func.count()).select_from(Structure))
    if structures < 3000 * float(SCALE):
        log(f"Préparation des données (demo seed --scale {SCALE}), une fois pour toutes…")
        start = time.perf_counter()
        subprocess.run(FLASK + ["demo", "seed"], cwd=ROOT, env=ENV, check=True, capture_output=True)
        subprocess.run(FLASK + ["demo", "seed", "--scale", SCALE], cwd=ROOT, env=ENV, check=True)
        log(f"  fait en {time.perf_counter() - start:.0f} s")
    with app.app_context():
        conseillers = db.session.scalar(select(func.count()).select_from(Conseiller))
        if conseillers < EXPORT_CONSEILLERS:
            top_up_conseillers(EXPORT_CONSEILLERS - conseillers)
    if DATABASE_URL.startswith("postgres"):
        # Fresh planner statistics, as autovacuum would have them in production after a bulk load.
        import psycopg

        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute("ANALYZE")


def top_up_conseillers(missing: int) -> None:
    """Conseillers without a post (national list only), to reach the export's volume."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Conseiller

    rows = [dict(prenom="Camille", nom=f"Volume{i}", email_pro=f"export.{i}@volume.conseiller-numerique.fr",
                 statut="en_recrutement", est_coordinateur=False, telephone_pro="") for i in range(missing)]
    for start in range(0, len(rows), 10000):
        db.session.execute(insert(Conseiller), rows[start:start + 10000])
    db.session.commit()


# --- HTTP -----------------------------------------------------------------------------------

class Session:
    """A logged-in browser session over one keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response, data

    def login(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', page)
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token.group(1).decode() if token else ""})
        response, _ = self.request("POST", "/login/", body,
                                   {"Content-Type": "application/x-www-form-urlencoded"})
        if response.status != 302:
            raise SystemExit(f"connexion impossible pour {username} ({response.status})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level",
         "warning", "bench.wsgi:app"], cwd=ROOT, env=ENV, start_new_session=True)
    for _ in range(120):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/login/")
            return server, port
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn n'a pas démarré")


def measure(session: Session, path: str, count: int = REQUESTS) -> dict:
    for _ in range(3):
        session.request("GET", path)
    timings, queries = [], []
    status = None
    for _ in range(count):
        start = time.perf_counter()
        response, _ = session.request("GET", path)
        timings.append((time.perf_counter() - start) * 1000)
        status = response.status
        queries.append(int(response.getheader("X-SQL-Count") or -1))
    timings.sort()
    return {"median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "queries": max(queries), "status": status}


def measure_floor(app, fn, count: int = REQUESTS) -> float:
    from app.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            for _ in range(3):
                fn(conn)
            timings = []
            for _ in range(count):
                start = time.perf_counter()
                fn(conn)
                timings.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(timings), 2)


def main() -> None:
    from app import create_app
    from app.demo import demo_password
    from bench.pages import pages

    app = create_app()
    prepare(app)
    server, port = start_server()
    results = []
    try:
        sessions: dict[str, Session] = {}
        for page in pages(app):
            if ONLY not in page["name"]:
                continue
            user = page["user"]
            if user not in sessions:
                sessions[user] = Session(port)
                if user != "anonyme":
                    sessions[user].login(user, demo_password())
            session = sessions[user]
            probe, _ = session.request("GET", page["path"])
            if probe.status != 200:
                log(f"  ignoré (HTTP {probe.status}) : {page['name']} {page['path']}")
                continue
            item = {"name": page["name"], **measure(session, page["path"])}
            if page.get("baseline"):
                base = measure(session, page["baseline"], max(5, REQUESTS // 10))
                item["baseline_median_ms"] = base["median_ms"]
                item["baseline_queries"] = base["queries"]
                item["baseline_ratio"] = round(base["median_ms"] / item["median_ms"], 2)
            if page.get("floor"):
                item["floor_median_ms"] = measure_floor(app, page["floor"])
                item["floor_ratio"] = round(item["median_ms"] / max(item["floor_median_ms"], 0.01), 2)
            results.append(item)
            log(f"  {item['name']:<48} {item['median_ms']:>8} ms  p95 {item['p95_ms']:>8} ms  "
                f"{item['queries']:>3} req.")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if not ONLY:
        export = json.loads(subprocess.run([sys.executable, "-m", "bench.export"], cwd=ROOT, env=ENV, check=True,
                                           capture_output=True, text=True).stdout)
        results.append({"name": "export CSV conseillers (ANCT, national)", "rows": export["rows"],
                        "seconds": export["seconds"], "peak_mb": export["peak_mb"]})
    path = ROOT / "bench" / "results.json"
    if ONLY and path.exists():  # a partial run updates its pages in the last full results
        measured = {r["name"] for r in results}
        results = [r for r in json.loads(path.read_text()) if r["name"] not in measured] + results
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print_table(results)


def print_table(results: list[dict]) -> None:
    print()
    print(f"{'page':<48} {'médiane':>9} {'p95':>9} {'req.':>5} {'base':>9} {'÷base':>6} {'plancher':>9} {'÷plancher':>9}")
    for r in results:
        if "seconds" in r:
            print(f"{r['name']:<48} {r['rows']} lignes en {r['seconds']} s, pic mémoire +{r['peak_mb']} Mo")
            continue
        print(f"{r['name']:<48} {r['median_ms']:>7}ms {r['p95_ms']:>7}ms {r['queries']:>5} "
              f"{str(r.get('baseline_median_ms', '')):>9} {str(r.get('baseline_ratio', '')):>6} "
              f"{str(r.get('floor_median_ms', '')):>9} {str(r.get('floor_ratio', '')):>9}")
    print("\n÷base : combien de fois la page est plus rapide que la ModelView FAB brute ; "
          "÷plancher : combien de fois plus lente que le SQL nu.")


if __name__ == "__main__":
    main()
