#!/usr/bin/env python3
"""bench/webhook_load.py: the load side of bench/webhooks.sh (stdlib only).

  webhook_load.py paced URL KEY RATE SECONDS   # RATE events/s for SECONDS
  webhook_load.py burst URL KEY TOTAL          # TOTAL events, as fast as possible

Each event is a lead created by POST /v1/leads/import (one lead.created
event per lead, written in the import's transaction). Paced: one import of
RATE/10 leads every 100 ms on a keep-alive connection (a late tick is sent at
once, not skipped). Burst: imports of 1000 leads back to back. Prints the
number of leads created; exits non-zero on any non-201 answer."""
import http.client
import json
import sys
import time
import urllib.parse


def importer(url, key):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    seq = [0]

    def send(n):
        leads = [{"email": f"b{seq[0] + i}-{time.time_ns()}@example.com", "name": "bench"} for i in range(n)]
        seq[0] += n
        body = json.dumps({"leads": leads})
        conn.request("POST", "/v1/leads/import", body,
                     {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 201:
            sys.exit(f"import: {r.status} {data[:200]!r}")
        return n
    return send


def main():
    mode, url, key = sys.argv[1:4]
    send = importer(url, key)
    made = 0
    if mode == "paced":
        rate, seconds = int(sys.argv[4]), float(sys.argv[5])
        per_tick = max(1, rate // 10)
        start = time.monotonic()
        ticks = int(seconds * 10)
        for t in range(ticks):
            due = start + t / 10
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            made += send(per_tick)
    else:
        total = int(sys.argv[4])
        while made < total:
            made += send(min(1000, total - made))
    print(made)


if __name__ == "__main__":
    main()
