"""Drives the fastly-tokens-fake binary over HTTP only, with Python's standard library: what a
team that does not write Rust does to use the fake in its tests.

    python3 xtask/fake-http/test_fake.py target/debug/fastly-tokens-fake

Run by `cargo xtask ci`. Exits non-zero, with the failing check, on any difference.
"""

import json
import subprocess
import sys
import urllib.error
import urllib.request


def call(method, url, key=None, body=None, headers=None):
    """One request; returns (status, parsed JSON or None, headers)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method)
    if key:
        request.add_header("Fastly-Key", key)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None), response.headers
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, (json.loads(raw) if raw else None), error.headers


def check(condition, what):
    if not condition:
        print(f"FAIL {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok   {what}")


def main():
    binary = sys.argv[1]
    fake = subprocess.Popen(
        [binary, "--seed-json", "--hourly-limit", "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = json.loads(fake.stdout.readline())
        url, seed = first["base_url"], first["seed"]
        alice = next(u for u in seed["users"] if u["handle"] == "alice")
        check(url.startswith("http://127.0.0.1:"), "--seed-json gives a loopback base URL")
        check(alice["key"] and alice["otp"] == "123456", "the seed has keys and OTPs")

        status, me, _ = call("GET", f"{url}/tokens/self", alice["key"])
        check(status == 200 and me["name"] == "alice-global", "GET /tokens/self with a seeded key")
        status, _, _ = call("GET", f"{url}/tokens/self", "not-a-key")
        check(status == 401, "an unknown key gets 401")

        status, control_seed, _ = call("GET", f"{url}/__fake/seed")
        check(status == 200 and control_seed == seed, "the control API serves the same seed")

        status, _, _ = call("POST", f"{url}/__fake/faults", body={"status": 503, "times": 1})
        check(status == 200, "a fault is queued")
        status, body, _ = call("GET", f"{url}/tokens", alice["key"])
        check(status == 503 and body["msg"] == "injected fault", "the next request gets it")
        status, tokens, _ = call("GET", f"{url}/tokens", alice["key"])
        check(status == 200 and len(tokens) == 5, "then the fake answers normally")

        status, _, _ = call(
            "POST",
            f"{url}/__fake/faults",
            body={"method": "DELETE", "path_prefix": "/tokens/", "status": 500},
        )
        check(status == 200, "a targeted fault is queued")
        target = next(t for t in alice["tokens"] if t["name"] == "dashboards")
        status, _, _ = call("DELETE", f"{url}/tokens/{target['id']}", alice["key"])
        check(status == 500, "the targeted route gets it")

        # The hourly budget of 5 non-read requests (an injected fault answers without spending).
        spent = 0
        status = 204
        while status != 429 and spent < 10:
            status, _, headers = call("DELETE", f"{url}/tokens/NoSuchToken00000000000", alice["key"])
            spent += 1
        check(status == 429 and headers.get("Fastly-RateLimit-Remaining") == "0", "the budget runs out")
        status, clock, _ = call("POST", f"{url}/__fake/clock", body={"advance_seconds": 3600})
        check(status == 200 and "now" in clock, "the clock moves")
        status, _, _ = call("DELETE", f"{url}/tokens/NoSuchToken00000000000", alice["key"])
        check(status == 404, "after the hour the budget is back")

        status, log, _ = call("GET", f"{url}/__fake/requests")
        check(status == 200 and any(r["status"] == 429 for r in log), "the request log has every call")
        check(not any(r["path"].startswith("/__fake/") for r in log), "control calls are not logged")
        check(all(alice["key"] not in json.dumps(r) for r in log), "the log keeps no key")
        status, _, _ = call("DELETE", f"{url}/__fake/requests")
        status, log, _ = call("GET", f"{url}/__fake/requests")
        check(log == [], "the log can be cleared")

        status, _, _ = call(
            "POST",
            f"{url}/__fake/faults",
            body={"method": "GET", "path_prefix": "/tokens/self", "skip": 1, "status": 401},
        )
        check(status == 200, "a fault for the second matching request is queued")
        first, _, _ = call("GET", f"{url}/tokens/self", alice["key"])
        second, _, _ = call("GET", f"{url}/tokens/self", alice["key"])
        check(first == 200 and second == 401, "skip lets the first one through")
        status, body, _ = call("POST", f"{url}/__fake/faults", body={"status": 503, "latency_ms": 5})
        check(status == 400 and "exactly one" in body["detail"], "a bad control request says why")
    finally:
        fake.terminate()
        fake.wait(timeout=10)


if __name__ == "__main__":
    main()
