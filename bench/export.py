"""Streams the national conseillers CSV in this process and reports time and peak memory growth."""

import json
import os
import resource
import sys
import time


def main() -> None:
    from app import create_app
    from app.demo import demo_password

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login/", data={"username": "anct", "password": demo_password()})
    client.get("/conseillers/list/")  # warm imports and caches before measuring
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    response = client.get("/conseillers/export/", buffered=False)
    rows = size = 0
    for chunk in response.response:
        size += len(chunk)
        rows += chunk.count(b"\r\n")
    seconds = time.perf_counter() - start
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump({"rows": rows - 1, "bytes": size, "seconds": round(seconds, 2),
               "peak_mb": round((after_kb - before_kb) / 1024, 1), "status": response.status_code}, sys.stdout)


if __name__ == "__main__":
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    main()
