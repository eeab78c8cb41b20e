"""The node and the witness against an independent verifier that uses PyNaCl.

It starts `cairn witness serve` and `cairn serve` (mTLS, P-256 client certificates), lets a
partner submit through the CLI, then fetches the node's checkpoints and proofs over HTTPS and
checks them here: the validators' signed-note signatures, the witness's tlog-cosignature/v1
lines, RFC 9162 inclusion and consistency proofs. It also speaks C2SP tlog-witness to the
witness directly. Only the Merkle arithmetic (hashlib) comes from cairn_audit.py.
"""
import base64
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_audit as merkle  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAIRN = os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build", "debug", "cairn"))


def run(*args):
    r = subprocess.run([CAIRN, *args], capture_output=True, text=True)
    assert r.returncode == 0, f"cairn {' '.join(args)}: {r.stderr}"
    return r.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vkey(text):
    """name+keyid+base64(type || public key) -> (name, key id, type, VerifyKey)."""
    name, kid, blob = text.strip().split("+", 2)
    raw = base64.b64decode(blob)
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4] == bytes.fromhex(kid)
    return name, bytes.fromhex(kid), raw[0], VerifyKey(raw[1:])


def split_note(note):
    text, _, sigs = note.rpartition("\n\n")
    assert sigs.endswith("\n")
    out = []
    for line in sigs[:-1].split("\n"):
        assert line.startswith("\u2014 ")
        name, blob = line[2:].split(" ")
        out.append((name, base64.b64decode(blob)))
    return text + "\n", out


def check_note(note, keys):
    """Returns (signers, cosigners) whose signatures verify; any known key that fails is an error."""
    text, sigs = split_note(note)
    signers, cosigners = set(), set()
    for name, blob in sigs:
        for kname, kid, ktype, key in keys:
            if kname != name or blob[:4] != kid:
                continue
            if ktype == 0x01:
                key.verify(text.encode(), blob[4:])
                signers.add(name)
            elif ktype == 0x04:
                ts = int.from_bytes(blob[4:12], "big")
                key.verify(b"cosignature/v1\ntime %d\n" % ts + text.encode(), blob[12:])
                assert abs(ts - time.time()) < 3600
                cosigners.add(name)
    return signers, cosigners


def checkpoint_fields(note):
    text, _ = split_note(note)
    lines = text.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2])


@pytest.fixture(scope="module")
def network():
    if not os.path.exists(CAIRN):
        pytest.fail(f"{CAIRN} is missing: run `swift build` first")
    d = tempfile.mkdtemp(prefix="cairn-interop-")
    keys = {}
    for m in ["bank-a.example", "bank-b.example", "central.example"]:
        keys[m] = run("keygen", "--name", m, "--out", f"{d}/{m}.key").strip()
    keys["auditor-1.example"] = run("keygen", "--name", "auditor-1.example", "--witness",
                                    "--out", f"{d}/auditor-1.example.key").strip()
    wport = free_port()
    genesis = {
        "cairn": 1, "origin": "interop.cairn.example/log", "time": "2026-01-01T00:00:00Z",
        "currencies": {"EUR": {"minorDigits": 2}},
        "members": [
            {"name": "bank-a.example", "roles": ["partner", "validator"], "keys": [keys["bank-a.example"]],
             "accounts": [{"id": "bank-a.example/eur", "currency": "EUR"}]},
            {"name": "bank-b.example", "roles": ["partner"], "keys": [keys["bank-b.example"]],
             "accounts": [{"id": "bank-b.example/eur", "currency": "EUR"}]},
            {"name": "central.example", "roles": ["issuer"], "keys": [keys["central.example"]]},
            {"name": "auditor-1.example", "roles": ["witness", "auditor"], "keys": [keys["auditor-1.example"]],
             "url": f"https://127.0.0.1:{wport}"},
        ],
        "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)",
                     "finality": "thresh(1, role(validator))", "witness": "thresh(1, role(witness))",
                     "governance": "thresh(2, role(partner))"},
    }
    gpath = f"{d}/genesis.json"
    json.dump(genesis, open(gpath, "w"))
    run("init", "--genesis", gpath, "--data", f"{d}/ledger", "--key", f"{d}/bank-a.example.key")
    run("cert", "ca", "--dir", f"{d}/ca")
    run("cert", "issue", "--ca-dir", f"{d}/ca", "--name", "localhost", "--ip", "127.0.0.1", "--out", f"{d}/server")
    for m in ["bank-a.example", "central.example"]:
        run("cert", "issue", "--ca-dir", f"{d}/ca", "--name", m, "--out", f"{d}/{m}-tls", "--algorithm", "p256")
    tls = ["--tls-cert", f"{d}/server.pem", "--tls-key", f"{d}/server-key.pem"]
    procs = [subprocess.Popen(
        [CAIRN, "witness", "serve", "--key", f"{d}/auditor-1.example.key", "--genesis", gpath, "--data", f"{d}/w",
         "--listen", f"127.0.0.1:{wport}", *tls], stderr=subprocess.DEVNULL)]
    procs.append(subprocess.Popen(
        [CAIRN, "serve", "--data", f"{d}/ledger", "--listen", "127.0.0.1:0", "--port-file", f"{d}/port",
         "--client-ca", f"{d}/ca/ca.pem", "--witness-ca", f"{d}/ca/ca.pem", "--block-interval", "50", *tls],
        stderr=subprocess.DEVNULL))
    try:
        for _ in range(200):
            if os.path.exists(f"{d}/port") and open(f"{d}/port").read().strip():
                break
            time.sleep(0.05)
        url = f"https://127.0.0.1:{open(f'{d}/port').read().strip()}"
        ctx = ssl.create_default_context(cafile=f"{d}/ca/ca.pem")
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(f"{d}/bank-a.example-tls.pem", f"{d}/bank-a.example-tls-key.pem")
        net = {"dir": d, "url": url, "ctx": ctx, "genesis": gpath, "witness": f"https://127.0.0.1:{wport}",
               "keys": [vkey(k) for k in keys.values()]}
        node = ["--node", url, "--ca", f"{d}/ca/ca.pem"]
        ids = []
        for member, args in [("central.example", ["deposit", "--to", "bank-a.example/eur", "--amount", "90.00",
                                                  "--currency", "EUR", "--submitter", "central.example"]),
                             ("central.example", ["deposit", "--to", "bank-a.example/eur", "--amount", "10.00",
                                                  "--currency", "EUR", "--submitter", "central.example"])]:
            body = f"{d}/n{len(ids)}.json"
            open(body, "w").write(run("notice", *args))
            signed = f"{d}/s{len(ids)}.json"
            open(signed, "w").write(run("sign", "--key", f"{d}/{member}.key", body))
            out = run("submit", signed, "--json", *node, "--tls-cert", f"{d}/{member}-tls.pem",
                      "--tls-key", f"{d}/{member}-tls-key.pem")
            ids.append(json.loads(out)["id"])
            time.sleep(0.3)  # one block each
        net["ids"] = ids
        yield net
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=20)


def get(net, path):
    with urllib.request.urlopen(net["url"] + path, context=net["ctx"], timeout=10) as r:
        return r.read().decode()


def wait_cosigned(net, path):
    for _ in range(100):
        note = get(net, path)
        if check_note(note, net["keys"])[1]:
            return note
        time.sleep(0.05)
    pytest.fail(f"{path} never carried a witness cosignature")


def test_checkpoint_is_signed_and_cosigned(network):
    note = wait_cosigned(network, "/checkpoint")
    signers, cosigners = check_note(note, network["keys"])
    assert signers == {"bank-a.example"} and cosigners == {"auditor-1.example"}
    origin, size, _ = checkpoint_fields(note)
    assert origin == "interop.cairn.example/log" and size == 2


def test_inclusion_proofs_verify(network):
    wait_cosigned(network, "/checkpoint")
    for index, nid in enumerate(network["ids"]):
        proof = get(network, f"/v1/notices/{nid}/proof")
        lines = proof.split("\n")
        assert lines[0] == "c2sp.org/tlog-proof@v1"
        assert lines[1].startswith("extra ") and lines[2] == f"index {index}"
        leaf = base64.b64decode(lines[1][6:])
        hashes, i = [], 3
        while lines[i]:
            hashes.append(base64.b64decode(lines[i]))
            i += 1
        note = "\n".join(lines[i + 1:])
        signers, cosigners = check_note(note, network["keys"])
        assert signers == {"bank-a.example"} and cosigners == {"auditor-1.example"}
        _, size, root = checkpoint_fields(note)
        merkle.verify_inclusion(index, size, merkle.leaf_hash(leaf), hashes, root)
        notice = json.loads(leaf)["notice"]
        assert notice["kind"] == "deposit"
        # The id is SHA-256 of the tag and the canonical body; the leaf carries the body canonically.
        body = json.dumps(notice, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(b"cairn/v1/notice\n" + body).hexdigest() == nid
        # A tampered leaf does not verify.
        with pytest.raises(merkle.VerifyError):
            merkle.verify_inclusion(index, size, merkle.leaf_hash(leaf + b" "), hashes, root)


def test_consistency_proof_verifies(network):
    old = get(network, "/checkpoint?size=1")
    _, old_size, old_root = checkpoint_fields(old)
    body = get(network, "/v1/proofs/consistency?from=1")
    head, _, note = body.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "old 1"
    _, new_size, new_root = checkpoint_fields(note)
    merkle.verify_consistency(old_size, new_size, [base64.b64decode(h) for h in lines[1:]], old_root, new_root)


def test_witness_speaks_tlog_witness(network):
    note = wait_cosigned(network, "/checkpoint")
    text, sigs = split_note(note)
    validator_only = text + "\n" + "".join(
        f"\u2014 {n} {base64.b64encode(b).decode()}\n" for n, b in sigs if n == "bank-a.example")
    ctx = ssl.create_default_context(cafile=f"{network['dir']}/ca/ca.pem")

    def post(body):
        req = urllib.request.Request(network["witness"] + "/add-checkpoint", data=body.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()

    # A stale old size: 409, text/x.tlog.size, the size the witness holds.
    status, ctype, body = post("old 0\n\n" + validator_only)
    assert (status, ctype, body) == (409, "text/x.tlog.size", "2\n")
    # The same checkpoint again from the size it holds: a fresh cosignature line that verifies.
    status, _, body = post("old 2\n\n" + validator_only)
    assert status == 200
    _, cosigners = check_note(text + "\n" + body, network["keys"])
    assert cosigners == {"auditor-1.example"}
    # A signature that does not verify: 403.
    forged = validator_only.replace("\n2\n", "\n3\n", 1)
    assert post("old 2\n\n" + forged)[0] == 403
    # Not a request: 400.
    assert post("hello")[0] == 400


def test_signatures_fail_when_tampered(network):
    note = wait_cosigned(network, "/checkpoint")
    with pytest.raises(BadSignatureError):
        check_note(note.replace("interop.cairn.example/log", "interop.cairn.example/lob", 1), network["keys"])
