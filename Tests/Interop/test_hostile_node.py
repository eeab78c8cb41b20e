"""A live node (mTLS) against a malicious consortium member.

It starts `cairn serve` with client certificates on a demo ledger (`cairn demo --dir`), then
attacks it the way a member holding a valid certificate (and its own signing key) could: traps on
input, contract compiler bombs, junk-heavy bodies, notices without a valid signature of any party
their policy names, and connection-level abuse (never-handshaking sockets, idle TLS, slowloris,
oversized headers, wrong methods). After each attack it checks that the node is alive (`GET
/healthz` answers 200 on a fresh connection) and that the checkpoint is unchanged, except where
the attack is a legitimate submission.

Connection limits: the test passes `--handshake-timeout 2 --idle-timeout 2 --request-timeout 5
--max-connections-per-client 64` to `cairn serve` when its `--help` lists them (options it does not
list are not passed, and the waits below still assume those values: such a test fails as a finding,
naming the missing option). A request head must arrive within the idle timeout; a body within the
request timeout. It waits at most about 4x a configured value
before failing. If the node dies during a test, that test fails and the next one restarts it on
the same ledger, so one crash does not hide the other findings.

Signing and ids are computed here (`cryptography` Ed25519, `jcs` for RFC 8785); a sanity test
checks them against the node first.
"""
import base64
import hashlib
import http.client
import json
import os
import random
import selectors
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

try:
    import jcs

    def canonical(obj):
        return jcs.canonicalize(obj)
except ImportError:  # the bodies here are ASCII-keyed strings, ints and arrays: sorted compact JSON is JCS
    def canonical(obj):
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAIRN = os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build", "debug", "cairn"))
BIN = [CAIRN]  # the module fixture runs a private copy, so a rebuild during the run changes nothing
SEED = 20260101
RNG = random.Random(SEED)  # nonces and junk; printed by the module fixture
MEMBERS = ["bank-a.example", "bank-b.example", "bank-c.example", "central.example", "auditor-1.example"]

# The connection limits this test configures (seconds; a count), by `cairn serve` option name.
LIMITS = {"--handshake-timeout": 2, "--idle-timeout": 2, "--request-timeout": 5, "--max-connections-per-client": 64}
HANDSHAKE_T = LIMITS["--handshake-timeout"]
IDLE_T = LIMITS["--idle-timeout"]
HEADER_T = IDLE_T  # the head must come within the idle timeout
BODY_T = LIMITS["--request-timeout"]
PER_CLIENT = LIMITS["--max-connections-per-client"]
REQUEST_TIMEOUT = 30  # seconds: any single request; generous, never a speed assertion


# ---------------------------------------------------------------------------------------------
# helpers


def run(*args, timeout=120):
    r = subprocess.run([BIN[0], *args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"cairn {' '.join(args)}: {r.stderr}"
    return r.stdout


def serve_options():
    """The options `cairn serve --help` lists."""
    text = subprocess.run([BIN[0], "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    return {w.rstrip(",") for w in text.split() if w.startswith("--")}


def notice_id(body):
    return hashlib.sha256(b"cairn/v1/notice\n" + canonical(body)).hexdigest()


class Key:
    """A private key file: PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed32)>."""

    def __init__(self, path):
        _, _, name, kid, blob = open(path).read().strip().split("+", 4)
        raw = base64.b64decode(blob)
        assert raw[0] == 0x01 and len(raw) == 33, path
        self.name, self.kid = name, kid
        self.sk = Ed25519PrivateKey.from_private_bytes(raw[1:])

    def sign(self, body, signer=None, kid=None):
        sig = self.sk.sign(b"cairn/v1/notice\n" + canonical(body))
        return {"signer": signer or self.name, "keyId": kid or self.kid, "sig": base64.b64encode(sig).decode()}


def envelope(body, *sigs):
    return {"notice": body, "signatures": sorted(sigs, key=lambda s: (s["signer"].encode(), s["keyId"]))}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def base_body(kind, **fields):
    now = int(time.time())
    body = {"kind": kind, "createdAt": rfc3339(now - 60), "expiresAt": rfc3339(now + 86400),
            "nonce": RNG.randbytes(16).hex(), "refs": []}
    body.update(fields)
    return body


def deposit(amount="1.00", to="bank-a.example/eur"):
    return base_body("deposit", submitter="central.example", to=to, amount=amount, currency="EUR")


def transfer(amount="1.00", frm="bank-a.example/eur", to="bank-b.example/eur", submitter="bank-a.example"):
    return base_body("transfer", submitter=submitter, **{"from": frm}, to=to, amount=amount, currency="EUR")


def read_until_closed(sock, deadline):
    """Reads until EOF, a reset, or the deadline. Returns (closed, bytes read)."""
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            return True, data
        if not chunk:
            return True, data
        data += chunk
    return False, data


def parse_response(raw):
    """(status, {lower header: value}, body) of one HTTP/1.1 response in raw bytes, or None."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(rest)))
    return status, headers, rest[:n]


def read_response(sock, deadline):
    """Reads one response (by Content-Length) or until EOF/deadline; returns parse_response's value."""
    data = b""
    while time.monotonic() < deadline:
        got = parse_response(data)
        if got and "content-length" in got[1] and len(got[2]) >= int(got[1]["content-length"]):
            return got
        sock.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            break
        if not chunk:
            break
        data += chunk
    return parse_response(data)


def outcome(raw):
    """The error code of a JSON error, or the first bytes of the answer (for the printed log)."""
    try:
        return json.loads(raw)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return raw[:80]


def is_json_error(body):
    try:
        obj = json.loads(body)
    except ValueError:
        return False
    return isinstance(obj, dict) and isinstance(obj.get("error"), dict) and "code" in obj["error"]


# ---------------------------------------------------------------------------------------------
# the node


class Node:
    def __init__(self, d, options):
        self.d, self.proc, self.port, self.starts = d, None, None, 0
        self.options = options
        self.extra = []
        self.missing = []
        for opt, value in LIMITS.items():
            if opt in options:
                self.extra += [opt, str(value)]
            else:
                self.missing.append(opt)
        self.keys = {m: Key(f"{d}/demo/keys/{m}.key") for m in MEMBERS if m != "auditor-1.example"}
        self.ctxs = {}
        for m in MEMBERS + [None]:
            ctx = ssl.create_default_context(cafile=f"{d}/ca/ca.pem")
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            if m:
                ctx.load_cert_chain(f"{d}/{m}-tls.pem", f"{d}/{m}-tls-key.pem")
            self.ctxs[m] = ctx

    def start(self):
        self.starts += 1
        portfile = f"{self.d}/port"
        if os.path.exists(portfile):
            os.remove(portfile)
        self.log = f"{self.d}/node-{self.starts}.log"
        self.proc = subprocess.Popen(
            [BIN[0], "serve", "--data", f"{self.d}/demo/ledger", "--listen", "127.0.0.1:0", "--port-file", portfile,
             "--client-ca", f"{self.d}/ca/ca.pem", "--tls-cert", f"{self.d}/server.pem",
             "--tls-key", f"{self.d}/server-key.pem", "--block-interval", "50", *self.extra],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"cairn serve exited with {self.proc.returncode}: {self.log_tail()}")
            if os.path.exists(portfile) and open(portfile).read().strip():
                self.port = int(open(portfile).read().strip())
                if self.healthz() == 200:
                    return
            time.sleep(0.05)
        pytest.fail(f"cairn serve did not come up: {self.log_tail()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log_tail(self, n=1500):
        try:
            text = open(self.log, errors="replace").read()
        except OSError:
            return ""
        lines = text.split("\n")
        # A crash: its reason and the crashed thread's first frames, not the register dump.
        picked = []
        for i, line in enumerate(lines):
            if "Fatal error" in line or "Program crashed" in line or "precondition" in line.lower():
                picked.append(line.strip())
            if line.rstrip().endswith("crashed:"):
                picked += [f.strip()[:160] for f in lines[i + 1:i + 10] if f.strip()]
        return "\n".join(picked) if picked else text[-n:]

    def conn(self, member="bank-a.example", timeout=REQUEST_TIMEOUT):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctxs[member], timeout=timeout)

    def request(self, method, path, body=None, member="bank-a.example", headers=None, timeout=REQUEST_TIMEOUT):
        """(status, headers, body bytes); body may be an object (sent as JSON) or bytes."""
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body, separators=(",", ":")).encode()
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c = self.conn(member, timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def healthz(self):
        """/healthz's status over a fresh connection without a client certificate, or None."""
        try:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctxs[None], timeout=10)
            try:
                c.request("GET", "/healthz")
                return c.getresponse().status
            finally:
                c.close()
        except (OSError, http.client.HTTPException):
            return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None and self.healthz() == 200

    def checkpoint(self):
        status, _, body = self.request("GET", "/checkpoint", timeout=15)
        assert status == 200, body
        return body.decode()

    def notice_status(self, nid):
        return self.request("GET", f"/v1/notices/{nid}", timeout=15)[0]

    def submit(self, obj, member, timeout=REQUEST_TIMEOUT, headers=None):
        return self.request("POST", "/v1/notices", obj, member=member, timeout=timeout, headers=headers)

    def survived(self, before, what, legitimate=False):
        """The node answers /healthz on a fresh connection and (unless legitimate) the checkpoint is `before`."""
        ok = False
        for _ in range(20):  # the node may be finishing the attacker's connection; at most ~10 s
            if self.proc.poll() is not None:
                break
            if self.healthz() == 200:
                ok = True
                break
            time.sleep(0.5)
        assert ok, (f"node dead or unresponsive after {what} (exit code {self.proc.poll()}); "
                    f"log tail: {self.log_tail()}")
        if not legitimate:
            assert self.checkpoint() == before, f"checkpoint moved after {what}"


@pytest.fixture(scope="module")
def live():
    if not os.path.exists(CAIRN):
        pytest.fail(f"{CAIRN} is missing: run `swift build` first")
    print(f"\nhostile-node random seed: {SEED}")
    RNG.seed(SEED)
    d = tempfile.mkdtemp(prefix="cairn-hostile-")
    shutil.copy2(CAIRN, f"{d}/cairn")
    BIN[0] = f"{d}/cairn"
    run("demo", "--dir", f"{d}/demo")
    run("cert", "ca", "--dir", f"{d}/ca")
    run("cert", "issue", "--ca-dir", f"{d}/ca", "--name", "localhost", "--ip", "127.0.0.1", "--out", f"{d}/server")
    for m in MEMBERS:
        run("cert", "issue", "--ca-dir", f"{d}/ca", "--name", m, "--out", f"{d}/{m}-tls", "--algorithm", "p256")
    node = Node(d, serve_options())
    # A committed notice's id, from the leaf in the demo's proof (computed here, checked by the sanity test).
    proof = [f for f in os.listdir(f"{d}/demo") if f.endswith(".tlog-proof")][0]
    extra = open(f"{d}/demo/{proof}").read().split("\n")[1]
    assert extra.startswith("extra ")
    node.committed = notice_id(json.loads(base64.b64decode(extra[6:]))["notice"])
    if node.missing:
        print(f"cairn serve does not list {' '.join(node.missing)}: not passed")
    node.start()
    try:
        yield node
    finally:
        node.stop()
        if os.environ.get("CAIRN_KEEP"):  # keep the ledger and node logs for a post-mortem
            os.remove(f"{d}/cairn")
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def node(live):
    """The module's node, restarted on the same ledger if an earlier test killed it."""
    if not live.alive():
        live.stop()
        live.start()
    return live


def wait_settled(node, nid, limit=15):
    """Waits (bounded) until a notice the node accepted is committed, rejected or still pending."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status, _, raw = node.request("GET", f"/v1/notices/{nid}", timeout=15)
        if status != 200 or json.loads(raw).get("status") != "complete":
            return
        time.sleep(0.1)


def attack(node, what, before, failures, send):
    """Sends one hostile request (`send()` returns status, headers, body); with no answer, records
    that and checks the node, and returns None; else returns (status, body)."""
    t0 = time.monotonic()
    try:
        status, _, raw = send()
    except (OSError, http.client.HTTPException) as e:
        failures.append(f"{what}: no answer after {time.monotonic() - t0:.1f} s ({e!r})")
        survive_or_record(node, before, what, failures)
        return None
    print(f"  {what}: {status} {outcome(raw)} in {time.monotonic() - t0:.1f} s")
    return status, raw


def survive_or_record(node, before, what, failures, legitimate=False):
    """node.survived, but a failure is recorded and the node restarted, so the other variants still run."""
    try:
        node.survived(before, what, legitimate=legitimate)
    except AssertionError as e:
        failures.append(str(e).split("\nassert")[0][:1200])
        if not node.alive():
            node.stop()
            node.start()


# ---------------------------------------------------------------------------------------------
# sanity: the requests this file builds are right, so a refusal below is the node's finding


def test_sanity_valid_requests_succeed(node):
    before = node.checkpoint()
    # A deposit signed here by the issuer: 202 with the id computed here, then committed.
    body = deposit("2.00")
    nid = notice_id(body)
    status, _, raw = node.submit(envelope(body, node.keys["central.example"].sign(body)), "central.example")
    assert status == 202, raw
    assert json.loads(raw)["id"] == nid and json.loads(raw)["status"] == "complete"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, _, raw = node.request("GET", f"/v1/notices/{nid}")
        if status == 200 and json.loads(raw)["status"] == "committed":
            break
        time.sleep(0.1)
    assert json.loads(raw)["status"] == "committed", raw
    node.survived(before, "a valid deposit", legitimate=True)
    assert node.checkpoint() != before
    # A transfer the payer signed here is pending, waiting for the payee; the id is ours.
    body = transfer("0.01")
    status, _, raw = node.submit(envelope(body, node.keys["bank-a.example"].sign(body)), "bank-a.example")
    assert status == 202 and json.loads(raw) == {**json.loads(raw), "id": notice_id(body), "status": "pending"}, raw
    assert node.notice_status(notice_id(body)) == 200
    # A contract.deploy body the CLI prints, signed here under governance (2 partners), is accepted.
    deploy = json.loads(run("contract", "deploy", f"{ROOT}/Contracts/timelock.cairn", "--submitter",
                            "bank-a.example"))
    deploy["nonce"] = RNG.randbytes(16).hex()
    status, _, raw = node.submit(envelope(deploy, node.keys["bank-a.example"].sign(deploy),
                                          node.keys["bank-b.example"].sign(deploy)), "bank-a.example")
    assert status in (202, 409), raw  # 409: the same contract was already deployed
    # The reads attacked below answer for sane arguments.
    size = json.loads(node.request("GET", "/v1/blocks/1")[2])["logSize"]
    for path in ["/v1/blocks/1", "/v1/blocks?from=0&limit=5", f"/checkpoint?size={size}",
                 f"/v1/notices/{node.committed}", f"/v1/notices/{node.committed}/proof",
                 f"/v1/notices/{node.committed}/proof?size={node.checkpoint().split(chr(10))[1]}",
                 "/v1/proofs/consistency?from=1", "/v1/balances?height=1", "/v1/balances", "/v1/instances"]:
        status, _, raw = node.request("GET", path)
        assert status == 200, f"{path}: {status} {raw[:200]!r}"
    status, _, raw = node.request("GET", f"/v1/notices/{node.committed}")
    assert json.loads(raw)["status"] == "committed", raw
    # An unknown notice is a JSON 404.
    status, _, raw = node.request("GET", "/v1/notices/" + "ab" * 32)
    assert status == 404 and is_json_error(raw)


# ---------------------------------------------------------------------------------------------
# 1. traps on input


YEARS = ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "99999-01-01T00:00:00Z", "-0001-01-01T00:00:00Z",
         "2026-13-45T25:61:61Z"]
# Timestamp.swift parses an optional fraction ("checked and dropped"), though the README's format has
# none: a fraction of any length may be accepted or refused, but must never kill the node.
MAY_ACCEPT = "fraction"


def field_traps():
    """(name, fields) pairs, each invalid for a reason the README's format states (or MAY_ACCEPT)."""
    now = int(time.time())
    out = []
    for n in (20, 40, 1000, 100_000):
        frac = "." + "9" * n + "Z"
        out.append((f"createdAt with a {n}-digit {MAY_ACCEPT}", {"createdAt": rfc3339(now - 60)[:-1] + frac}))
        out.append((f"expiresAt with a {n}-digit {MAY_ACCEPT}", {"expiresAt": rfc3339(now + 86400)[:-1] + frac}))
    out.append(("createdAt with an empty fraction", {"createdAt": rfc3339(now - 60)[:-1] + ".Z"}))
    out.append(("createdAt with a non-digit fraction", {"createdAt": rfc3339(now - 60)[:-1] + ".9x9Z"}))
    out.append(("expiresAt year 0000 (expired)", {"createdAt": "0000-01-01T00:00:00Z", "expiresAt": YEARS[0]}))
    out.append(("createdAt year 9999 after expiresAt", {"createdAt": YEARS[1]}))
    out.append(("expiresAt year 99999", {"expiresAt": YEARS[2]}))
    out.append(("createdAt year 99999", {"createdAt": YEARS[2]}))
    out.append(("createdAt year -0001", {"createdAt": YEARS[3]}))
    out.append(("expiresAt month 13", {"expiresAt": YEARS[4]}))
    for amount in ["99999999999999999999.00", "92233720368547758.08", "-1.00", "0.00", "1e9", "1.000",
                   "1", "+1.00", " 1.00", "1.00 ", "NaN", "Infinity", "0x10.00", "1" * 400 + ".00", ""]:
        out.append((f"amount {amount[:30]!r}", {"amount": amount}))
    out.append(("amount as a number", {"amount": 1.0}))
    out.append(("nonce 129 bytes", {"nonce": "n" * 129}))
    out.append(("nonce 500 KiB", {"nonce": "n" * (500 << 10)}))
    out.append(("nonce empty", {"nonce": ""}))
    out.append(("reference 141 bytes", {"reference": "r" * 141}))
    out.append(("reference 500 KiB", {"reference": "r" * (500 << 10)}))
    out.append(("refs not hex", {"refs": ["zz" * 32]}))
    out.append(("refs 1000 hex digits", {"refs": ["a" * 1000]}))
    out.append(("currency 10 KiB", {"currency": "E" * 10240}))
    out.append(("to 100 KiB", {"to": "bank-a.example/" + "e" * 102400}))
    return out


TRAP_PATHS = [
    "/v1/blocks/18446744073709551615", "/v1/blocks/18446744073709551616", "/v1/blocks/9223372036854775808",
    "/v1/blocks/9223372036854775807", "/v1/blocks/-1", "/v1/blocks/1e3", "/v1/blocks/" + "9" * 400,
    "/v1/blocks?from=18446744073709551615&limit=5", "/v1/blocks?from=9223372036854775807&limit=5",
    "/v1/blocks?from=-1&limit=5", "/v1/blocks?from=0&limit=18446744073709551615", "/v1/blocks?from=0&limit=-1",
    "/checkpoint?size=18446744073709551615", "/checkpoint?size=9223372036854775808", "/checkpoint?size=-1",
    "/v1/proofs/consistency?from=1&to=18446744073709551615", "/v1/proofs/consistency?from=18446744073709551615",
    "/v1/proofs/consistency?from=9223372036854775807&to=9223372036854775807", "/v1/proofs/consistency?from=0",
    "/v1/proofs/consistency?from=-1&to=1",
    "/v1/balances?height=18446744073709551615", "/v1/balances?height=9223372036854775808",
    "/v1/balances?height=-1",
    "/v1/notices/{id}/proof?size=99999999999999999999", "/v1/notices/{id}/proof?size=18446744073709551615",
    "/v1/notices/{id}/proof?size=0", "/v1/notices/{id}/proof?size=-1",
    "/v1/notices/" + "a" * 64 + "/proof?size=99999999999999999999",
    "/v1/notices/" + "a" * 100000, "/v1/instances/" + "f" * 5000,
]


def test_traps_on_input(node):
    nid = node.committed
    failures = []
    for name, fields in field_traps():
        # Both a deposit (complete: the issuer signs) and a transfer (the payer signs: incomplete, not dry-run).
        for make, signer in [(deposit, "central.example"), (transfer, "bank-a.example")]:
            before = node.checkpoint()
            body = make()
            body.update(fields)
            what = f"{body['kind']} with {name}"
            answer = attack(node, what, before, failures,
                            lambda: node.submit(envelope(body, node.keys[signer].sign(body)), signer))
            if answer is None:
                continue
            status, raw = answer
            accepted = status == 202
            if accepted:
                if MAY_ACCEPT not in name:
                    failures.append(f"{what}: {status} {raw[:160]!r}")
                wait_settled(node, notice_id(body))  # a complete one is sealed: the checkpoint moves
            elif not (400 <= status < 500 and is_json_error(raw)):
                failures.append(f"{what}: {status} {raw[:160]!r}")
            elif node.notice_status(notice_id(body)) != 404:
                failures.append(f"{what}: refused ({status}) but stored")
            survive_or_record(node, before, what, failures, legitimate=accepted)
    for path in TRAP_PATHS:
        before = node.checkpoint()
        path = path.replace("{id}", nid)
        answer = attack(node, f"GET {path[:90]}", before, failures, lambda: node.request("GET", path))
        if answer is None:
            continue
        status, raw = answer
        # A range of blocks may be an empty page past the head, or clamped to at most 1000 blocks.
        page = (status == 200 and path.startswith("/v1/blocks?")
                and len(json.loads(raw).get("blocks", [0] * 1001)) <= 1000)
        if not (page or (400 <= status < 500 and is_json_error(raw))):
            failures.append(f"GET {path[:90]}: {status} {raw[:160]!r}")
        survive_or_record(node, before, f"GET {path[:90]}", failures)
    assert not failures, f"{len(failures)} traps not refused with a JSON 4xx:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# 2. contract compiler bombs


TIMELOCK = open(os.path.join(ROOT, "Contracts", "timelock.cairn")).read()


def with_require(expr):
    return TIMELOCK.replace("require funder != beneficiary", f"require funder != beneficiary\nrequire {expr}", 1)


def time_chain(n):
    params = "".join(f"param t{i}: time\n" for i in range(n + 1))
    requires = "".join(f"require t{i} < t{i + 1}\n" for i in range(n))
    src = TIMELOCK.replace("param deadline: time\n", "param deadline: time\n" + params, 1)
    chain = f"require unlock < deadline\nrequire deadline < t0\n{requires}"
    return src.replace("require unlock < deadline\n", chain, 1)


def dense_time_requires(n=56, per=29):
    """Every pair of n time parameters ordered, 29 conjuncts a require: within every documented limit."""
    params = "".join(f"param t{i}: time\n" for i in range(n))
    pairs = [f"t{i} < t{j}" for i in range(n) for j in range(i + 1, n)]
    requires = "".join("require " + " and ".join(pairs[k:k + per]) + "\n" for k in range(0, len(pairs), per))
    src = TIMELOCK.replace("param deadline: time\n", "param deadline: time\n" + params, 1)
    return src.replace("require unlock < deadline\n", "require unlock < deadline\n" + requires, 1)


# (name, source, whether a node may accept it: a contract within the limits is a legitimate deployment)
BOMBS = [
    ("sum chain 5000", lambda: with_require("+".join(["1"] * 5000) + ">0"), False),
    ("sum chain 20000", lambda: with_require("+".join(["1"] * 20000) + ">0"), False),
    ("difference chain 20000", lambda: with_require("-".join(["1"] * 20000) + "<0"), False),
    ("product chain 20000", lambda: with_require("*".join(["1"] * 20000) + ">0"), False),
    ("and chain 6000", lambda: with_require(" and ".join(["true"] * 6000)), False),
    ("or chain 7000", lambda: with_require(" or ".join(["true"] * 7000)), False),
    ("comparison and chain 3000", lambda: with_require(" and ".join(["1<2"] * 3000)), False),
    ("not chain 10000", lambda: with_require("not " * 10000 + "true"), False),
    ("negation chain 20000", lambda: with_require("-" * 20000 + "1<0"), False),
    ("parentheses 10000", lambda: with_require("(" * 10000 + "1" + ")" * 10000 + ">0"), False),
    ("800 chained time requires", lambda: time_chain(800), False),
    ("1540 time constraints within the limits", dense_time_requires, True),
    ("source over 64 KiB", lambda: with_require("+".join(["1"] * 40000) + ">0"), False),
]


def test_contract_compiler_bombs(node):
    template = json.loads(run("contract", "deploy", f"{ROOT}/Contracts/timelock.cairn", "--submitter",
                              "bank-a.example"))
    failures = []
    for name, source, may_accept in BOMBS:
        before = node.checkpoint()
        body = dict(template, source=source(), nonce=RNG.randbytes(16).hex())
        env = envelope(body, node.keys["bank-a.example"].sign(body), node.keys["bank-b.example"].sign(body))
        answer = attack(node, f"contract bomb {name}", before, failures, lambda: node.submit(env, "bank-a.example"))
        if answer is None:
            continue
        status, raw = answer
        accepted = may_accept and status in (202, 409)  # 409: deployed by an earlier run of this variant
        if accepted:
            wait_settled(node, notice_id(body))
        elif not (400 <= status < 500 and is_json_error(raw)):
            failures.append(f"{name}: {status} {raw[:200]!r}")
        elif node.notice_status(notice_id(body)) != 404:
            failures.append(f"{name}: refused ({status}) but stored")
        survive_or_record(node, before, f"contract bomb {name}", failures, legitimate=accepted)
    assert not failures, f"{len(failures)} bombs not refused cleanly:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# 3. junk-heavy bodies


def junk_sig(rng, signer, kid):
    return {"signer": signer, "keyId": kid, "sig": base64.b64encode(rng.randbytes(64)).decode()}


def test_junk_heavy_bodies(node):
    rng = random.Random(SEED)
    central = node.keys["central.example"]
    cases = []
    body = deposit()
    cases.append(("7000 signatures by unknown signers", body, envelope(
        body, central.sign(body), *[junk_sig(rng, f"junk-{i}.example", "%08x" % i) for i in range(7000)])))
    body = deposit()
    cases.append(("7000 bad signatures under the issuer's key", body, envelope(
        body, central.sign(body), *[junk_sig(rng, "central.example", central.kid) for _ in range(7000)])))
    body = deposit()
    good = central.sign(body)
    cases.append(("7000 copies of one valid signature", body, {"notice": body, "signatures": [good] * 7000}))
    body = transfer()
    cases.append(("payer's signature and 7000 junk entries on a transfer", body, envelope(
        body, node.keys["bank-a.example"].sign(body),
        *[junk_sig(rng, "bank-b.example", "%08x" % rng.getrandbits(32)) for _ in range(7000)])))
    body = transfer()
    body["refs"] = [rng.randbytes(32).hex() for _ in range(14000)]
    cases.append(("14000 refs on a pending transfer", body, envelope(body, node.keys["bank-a.example"].sign(body))))
    body = deposit()
    body["refs"] = [rng.randbytes(32).hex() for _ in range(14000)]
    cases.append(("14000 refs on a complete deposit", body, envelope(body, central.sign(body))))
    body = transfer()
    body["refs"] = [body["nonce"] * 2] * 14000  # 64 hex digits
    cases.append(("14000 copies of one ref", body, envelope(body, node.keys["bank-a.example"].sign(body))))
    failures = []
    for name, body, env in cases:
        before = node.checkpoint()
        member = body["submitter"]
        answer = attack(node, name, before, failures, lambda: node.submit(env, member))
        if answer is None:
            continue
        status, raw = answer
        if not (400 <= status < 500 and is_json_error(raw)):  # 413/422, or 400 naming the limit
            failures.append(f"{name}: expected a JSON 4xx, got {status} {raw[:200]!r}")
        survive_or_record(node, before, name, failures)
        if node.notice_status(notice_id(body)) != 404:
            failures.append(f"{name}: the notice {notice_id(body)[:12]} is stored")
    assert not failures, f"{len(failures)} junk bodies not refused:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# 4. no valid signature of any party the policy names


def test_no_valid_signature_of_a_named_party(node):
    k = node.keys
    cases = []
    body = transfer()
    cases.append(("a bare transfer body", body, body, "bank-a.example"))
    body = transfer()
    cases.append(("a transfer envelope with no signatures", body, envelope(body), "bank-a.example"))
    body = transfer()
    cases.append(("a transfer signed by bank-c only", body, envelope(body, k["bank-c.example"].sign(body)),
                  "bank-a.example"))
    body = transfer()
    cases.append(("a transfer signed by the issuer only", body, envelope(body, k["central.example"].sign(body)),
                  "bank-a.example"))
    body = transfer()
    cases.append(("a transfer signed by bank-c and the issuer", body,
                  envelope(body, k["bank-c.example"].sign(body), k["central.example"].sign(body)), "bank-a.example"))
    body = transfer()
    bad = dict(k["bank-a.example"].sign(body), sig=base64.b64encode(bytes(64)).decode())
    cases.append(("a transfer with the payer's signature zeroed", body, envelope(body, bad), "bank-a.example"))
    body = transfer()
    other = transfer()
    cases.append(("a transfer with the payer's signature of another body", body,
                  envelope(body, k["bank-a.example"].sign(other)), "bank-a.example"))
    body = transfer()
    forged = k["bank-c.example"].sign(body, signer="bank-a.example", kid=k["bank-a.example"].kid)
    cases.append(("a transfer signed with bank-c's key under bank-a's name", body, envelope(body, forged),
                  "bank-a.example"))
    body = transfer()
    forged = k["bank-c.example"].sign(body, signer="bank-b.example", kid=k["bank-c.example"].kid)
    cases.append(("a transfer signed by bank-c claiming to be the payee", body, envelope(body, forged),
                  "bank-a.example"))
    body = deposit()
    cases.append(("a bare deposit body", body, body, "central.example"))
    body = deposit()
    cases.append(("a deposit signed by a partner", body, envelope(body, k["bank-a.example"].sign(body)),
                  "central.example"))
    body = transfer()
    sigless = envelope(body, k["bank-c.example"].sign(body))
    cases.append(("the signatures route relaying bank-c on a fresh id", body, None, "bank-a.example"))
    failures = []
    for name, body, obj, member in cases:
        before = node.checkpoint()
        nid = notice_id(body)
        answer = attack(node, name, before, failures,
                        lambda: node.request("POST", f"/v1/notices/{nid}/signatures",
                                             {"signatures": sigless["signatures"]}, member=member)
                        if obj is None else node.submit(obj, member))
        if answer is None:
            continue
        status, raw = answer
        if not (400 <= status < 500 and is_json_error(raw)):
            failures.append(f"{name}: {status} {raw[:200]!r}")
        survive_or_record(node, before, name, failures)
        if node.notice_status(nid) != 404:
            failures.append(f"{name}: stored ({status} {raw[:120]!r})")
    assert not failures, f"{len(failures)} unsigned notices not refused:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# 5. connections


def attacker_source():
    """A loopback source address other than 127.0.0.1 for the attacker, so that a per-client cap
    (by address, as it must be before a handshake) does not also count the fresh probe's connection."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return "127.0.0.1"


def open_raw(port, n, source, timeout=2.0):
    socks, failed = [], 0
    for _ in range(n):
        s = socket.socket()
        s.settimeout(timeout)
        try:
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    return socks, failed


def closed_count(socks, deadline):
    """How many of socks the peer closed by the deadline (EOF or reset); reads and discards data."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    try:
        while closed < len(socks) and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.0, min(0.5, deadline - time.monotonic()))):
                try:
                    chunk = key.fileobj.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(key.fileobj)
                    closed += 1
    finally:
        sel.close()
    return closed


def missing_note(node, *opts):
    gone = [o for o in opts if o in node.missing]
    return f" (cairn serve has no {', '.join(gone)})" if gone else ""


def test_connections_never_handshaking(node):
    before = node.checkpoint()
    source = attacker_source()
    socks, failed = open_raw(node.port, 300, source)
    try:
        # While they are held, a fresh client is served.
        assert node.healthz() == 200, f"/healthz did not answer while 300 raw connections were held: {node.log_tail()}"
        status, _, _ = node.request("GET", "/checkpoint", timeout=15)
        assert status == 200
        # The node closes every one of them within ~4x its handshake timeout (or refused them at once).
        deadline = time.monotonic() + 4 * HANDSHAKE_T + 2
        closed = closed_count(socks, deadline)
        assert failed + closed == 300, (
            f"{300 - failed - closed} of 300 never-handshaking connections from {source} still open after "
            f"{4 * HANDSHAKE_T + 2} s{missing_note(node, '--handshake-timeout')}")
    finally:
        for s in socks:
            s.close()
    node.survived(before, "300 never-handshaking connections")


def test_connections_per_client_cap(node):
    before = node.checkpoint()
    source = attacker_source()
    socks, failed = open_raw(node.port, 300, source)
    try:
        # Before the handshake timeout can fire, everything past the cap has been refused or closed.
        deadline = time.monotonic() + HANDSHAKE_T / 2
        closed = closed_count(socks, deadline)
        assert failed + closed >= 300 - PER_CLIENT, (
            f"{300 - failed - closed} connections from {source} held open at once, cap {PER_CLIENT}"
            f"{missing_note(node, '--max-connections-per-client')}")
        assert node.healthz() == 200
    finally:
        for s in socks:
            s.close()
    node.survived(before, "300 connections from one client")


def tls_connect(node, member="bank-a.example"):
    raw = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    s = node.ctxs[member].wrap_socket(raw, server_hostname="localhost")
    return s


def test_connections_idle_tls(node):
    before = node.checkpoint()
    socks = [tls_connect(node) for _ in range(5)]
    # Two more that make one keep-alive request first, then go idle.
    for _ in range(2):
        s = tls_connect(node)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = read_response(s, time.monotonic() + 10)
        assert got and got[0] == 200, got
        socks.append(s)
    try:
        deadline = time.monotonic() + 4 * IDLE_T + 2
        still = [i for i, s in enumerate(socks) if not read_until_closed(s, deadline)[0]]
        assert not still, (f"idle TLS connections {still} still open after {4 * IDLE_T + 2} s"
                           f"{missing_note(node, '--idle-timeout')}")
    finally:
        for s in socks:
            s.close()
    node.survived(before, "idle TLS connections")


def slow_send(sock, head, trickle, limit):
    """Sends head, then one byte of trickle a second; returns seconds until the node cut it off, or None."""
    t0 = time.monotonic()
    try:
        sock.sendall(head)
    except OSError:
        return 0.0
    for i in range(int(limit) + 1):
        try:
            sock.sendall(trickle[i % len(trickle):i % len(trickle) + 1])
        except OSError:
            return time.monotonic() - t0
        closed, _ = read_until_closed(sock, time.monotonic() + 1.0)
        if closed:
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return None
    return None


def test_connections_slowloris(node):
    before = node.checkpoint()
    failures = []
    cases = [
        ("body, 1 byte/s of Content-Length: 100000", BODY_T, "--request-timeout",
         b"POST /v1/notices HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
         b"Content-Length: 100000\r\n\r\n", b'{"notice":'),
        ("headers, 1 byte/s, never finished", HEADER_T, "--idle-timeout",
         b"GET /checkpoint HTTP/1.1\r\nHost: localhost\r\n", b"X-Slow: aaaaaaaaaaaaaaaa"),
        ("request line, 1 byte/s", HEADER_T, "--idle-timeout", b"G", b"ET /checkpoint HTTP/1.1"),
    ]
    for name, t, opt, head, trickle in cases:
        s = tls_connect(node)
        try:
            took = slow_send(s, head, trickle, 4 * t + 2)
        finally:
            s.close()
        if took is None:
            failures.append(f"{name}: not cut off within {4 * t + 2} s{missing_note(node, opt)}")
        survive_or_record(node, before, f"slowloris {name}", failures)
    assert not failures, "\n".join(failures)


def test_connections_oversized_header(node):
    before = node.checkpoint()
    failures = []
    cases = [
        ("one 100 KB header value", b"X-Big: " + b"a" * 100_000 + b"\r\n"),
        ("2000 headers of 50 bytes", b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 40) for i in range(2000))),
        ("a 100 KB request target", None),
    ]
    for name, extra in cases:
        if extra is None:
            req = b"GET /checkpoint?" + b"q" * 100_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
            want = (414, 431)
        else:
            req = b"GET /checkpoint HTTP/1.1\r\nHost: localhost\r\n" + extra + b"\r\n"
            want = (431,)
        s = tls_connect(node)
        try:
            try:
                s.sendall(req)
            except OSError:
                pass  # the node may close while we are still sending; its answer may already be there
            got = read_response(s, time.monotonic() + 15)
        finally:
            s.close()
        if got is None:
            failures.append(f"{name}: no response (connection closed or timed out)")
        elif got[0] not in want or not is_json_error(got[2]):
            failures.append(f"{name}: expected {'/'.join(map(str, want))} with a JSON body, got {got[0]} "
                            f"{got[1].get('content-type')} {got[2][:160]!r}")
        survive_or_record(node, before, f"oversized header: {name}", failures)
    assert not failures, "\n".join(failures)


def test_connections_wrong_method(node):
    before = node.checkpoint()
    failures = []
    nid = "ab" * 32
    for method, path, allow in [("DELETE", "/checkpoint", "GET"), ("POST", "/checkpoint", "GET"),
                                ("PUT", "/v1/notices", "POST"), ("GET", "/v1/notices", "POST"),
                                ("DELETE", f"/v1/notices/{nid}", "GET"),
                                ("PUT", f"/v1/notices/{nid}/signatures", "POST"),
                                ("PATCH", "/v1/blocks/1", "GET"), ("POST", "/healthz", "GET"),
                                ("DELETE", "/v1/balances", "GET")]:
        before = node.checkpoint()
        status, headers, raw = node.request(method, path, body=b"{}" if method in ("POST", "PUT", "PATCH") else None)
        allowed = {m.strip().upper() for m in (headers.get("Allow") or "").split(",") if m.strip()}
        if status != 405 or allow not in allowed or not is_json_error(raw):
            failures.append(f"{method} {path}: {status} Allow={headers.get('Allow')!r} {raw[:120]!r}")
        elif json.loads(raw)["error"]["code"] != "method_not_allowed":
            failures.append(f"{method} {path}: 405 with code {json.loads(raw)['error']['code']}")
        survive_or_record(node, before, f"{method} {path}", failures)
    assert not failures, f"{len(failures)} wrong methods not answered 405 + Allow + JSON:\n" + "\n".join(failures)
