"""Self-tests for cairn_audit.py: public vectors plus a round trip built here."""
import base64
import glob
import hashlib
import json
import os
import subprocess
import sys

import jcs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_audit as ca  # noqa: E402

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Vectors")
HERE = os.path.dirname(os.path.abspath(__file__))
b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
unb64 = base64.b64decode


# ------------------------------------------------------------ public vectors

def _merkle_files(kind):
    files = sorted(glob.glob(f"{VECTORS}/merkle/{kind}/**/*.json", recursive=True))
    assert files, kind
    return files


@pytest.mark.parametrize("path", _merkle_files("inclusion"),
                         ids=lambda p: os.path.relpath(p, VECTORS))
def test_inclusion_vectors(path):
    v = json.load(open(path))
    args = (v["leafIdx"], v["treeSize"], unb64(v["leafHash"]),
            [unb64(p) for p in v["proof"] or []], unb64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ca.VerifyError):
            ca.verify_inclusion(*args)
    else:
        ca.verify_inclusion(*args)


# README: this vector uses 12-byte placeholder roots; 32-byte policy rejects it.
PLACEHOLDER = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"


@pytest.mark.parametrize("path", _merkle_files("consistency"),
                         ids=lambda p: os.path.relpath(p, VECTORS))
def test_consistency_vectors(path):
    v = json.load(open(path))
    want_err = v["wantErr"] or path.endswith(PLACEHOLDER)
    args = (v["size1"], v["size2"], [unb64(p) for p in v["proof"] or []],
            unb64(v["root1"]), unb64(v["root2"]))
    if want_err:
        with pytest.raises(ca.VerifyError):
            ca.verify_consistency(*args)
    else:
        ca.verify_consistency(*args)


def test_placeholder_vector_fails_only_for_hash_length():
    v = json.load(open(f"{VECTORS}/merkle/{PLACEHOLDER}"))
    with pytest.raises(ca.VerifyError, match="not 32"):
        ca.verify_consistency(v["size1"], v["size2"], [], unb64(v["root1"]),
                              unb64(v["root2"]))


SIGNED_NOTE = json.load(open(f"{VECTORS}/signed-note/vectors.json"))["cases"]


@pytest.mark.parametrize("case", [c for c in SIGNED_NOTE if "note" in c],
                         ids=lambda c: c["desc"])
def test_signed_note_vectors(case):
    vkeys = [ca.parse_vkey(k) for k in case["vkeys"]]
    if case.get("wantErr"):
        with pytest.raises(ca.VerifyError):
            ca.verify_note(case["note"], vkeys)
        return
    res = ca.verify_note(case["note"], vkeys)
    assert res.signers == case["wantVerifiedBy"]
    # Unknown keys are ignored: with only the first vkey, only it verifies.
    res1 = ca.verify_note(case["note"], vkeys[:1])
    assert res1.signers == case["wantVerifiedBy"][:1]


def _load_skey(s):
    """PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed32)."""
    _, _, name, hexid, key = s.split("+", 4)
    raw = unb64(key)
    assert raw[0] == 1
    return name, bytes.fromhex(hexid), Ed25519PrivateKey.from_private_bytes(raw[1:])


def _pub(sk):
    return sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_signed_note_private_key_vector():
    case = next(c for c in SIGNED_NOTE if "skey" in c)
    name, kid, sk = _load_skey(case["skey"])
    pub = _pub(sk)
    assert ca.key_id(name, 1, pub) == kid
    vkey = f"{name}+{kid.hex()}+{b64(bytes([1]) + pub)}"
    assert vkey == case["wantVkey"]
    two = next(c for c in SIGNED_NOTE if c["desc"] == "two signers")
    text, sigs = ca.split_note(two["note"])
    assert dict(sigs)[name] == kid + sk.sign(text.encode())


def test_jcs_library_matches_vectors():
    for path in glob.glob(f"{VECTORS}/jcs/input/*.json"):
        out = open(path.replace("/input/", "/output/"), "rb").read()
        assert jcs.canonicalize(json.load(open(path, encoding="utf-8"))) == out, path


def test_ed25519_backend_agrees_with_wycheproof():
    data = json.load(open(f"{VECTORS}/ed25519/wycheproof_ed25519_test.json"))
    n = 0
    for group in data["testGroups"]:
        pub = bytes.fromhex(group["publicKey"]["pk"])
        for t in group["tests"]:
            got = ca.ed25519_verify(pub, bytes.fromhex(t["sig"]), bytes.fromhex(t["msg"]))
            assert got == (t["result"] == "valid"), t["tcId"]
            n += 1
    assert n == 151


def test_public_key_screening():
    ca.check_ed25519_public_key(_pub(Ed25519PrivateKey.generate()))
    bad = [bytes([1]) + bytes(31),                      # identity
           bytes(32),                                   # order 4
           bytes.fromhex("ec" + "ff" * 30 + "7f"),       # order 2 (y = p-1)
           bytes.fromhex("ed" + "ff" * 30 + "7f"),       # y = p: non-canonical
           bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")]
    for b in bad:
        with pytest.raises(ValueError):
            ca.check_ed25519_public_key(b)


# --------------------------------------------------- a reference Merkle tree
# RFC 9162 section 2.1.1 (MTH), 2.1.3.1 (PATH), 2.1.4.1 (PROOF/SUBPROOF).

def _split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return ca.leaf_hash(leaves[0])
    k = _split(len(leaves))
    return ca.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, b):
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = _split(n)
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def test_reference_tree_against_verifier():
    leaves = [bytes([i]) * i for i in range(1, 12)]
    for n in range(1, len(leaves) + 1):
        root = mth(leaves[:n])
        for m in range(n):
            ca.verify_inclusion(m, n, ca.leaf_hash(leaves[m]), path(m, leaves[:n]), root)
        for m in range(1, n + 1):
            ca.verify_consistency(m, n, subproof(m, leaves[:n], True), mth(leaves[:m]), root)


# ----------------------------------------------------------------- round trip

ORIGIN = "test.cairn.example/consortium"


class Key:
    def __init__(self, name, sig_type=1):
        self.name, self.type, self.sk = name, sig_type, Ed25519PrivateKey.generate()
        self.pub = _pub(self.sk)
        self.kid = ca.key_id(name, sig_type, self.pub)

    def vkey(self):
        return f"{self.name}+{self.kid.hex()}+{b64(bytes([self.type]) + self.pub)}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    k = {"val": Key("validator-a.example"), "a": Key("bank-a.example"),
         "b": Key("bank-b.example"), "issuer": Key("central.example"),
         "wit": Key("auditor-1.example", 4)}
    members = [
        {"name": "validator-a.example", "roles": ["validator"], "keys": [k["val"].vkey()]},
        {"name": "bank-a.example", "roles": ["partner"], "keys": [k["a"].vkey()],
         "accounts": [{"id": "bank-a.example/eur", "currency": "EUR"}]},
        {"name": "bank-b.example", "roles": ["partner"], "keys": [k["b"].vkey()]},
        {"name": "central.example", "roles": ["issuer"], "keys": [k["issuer"].vkey()]},
        {"name": "auditor-1.example", "roles": ["witness", "auditor"],
         "keys": [k["wit"].vkey()]}]
    genesis = {"cairn": 1, "origin": ORIGIN, "members": members,
               "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)",
                            "finality": "thresh(1, role(validator))",
                            "witness": "thresh(1, role(witness))"}}
    gpath = tmp_path_factory.mktemp("g") / "genesis.json"
    gpath.write_text(json.dumps(genesis, indent=1))
    return {"keys": k, "genesis": ca.load_genesis(str(gpath)), "genesis_path": str(gpath),
            "dir": tmp_path_factory.mktemp("w")}


def notice_body(kind, **kw):
    body = {"kind": kind, "nonce": "n-" + kind, "reference": "E2E-" + kind,
            "refs": [], "createdAt": "2026-01-02T00:00:00Z",
            "expiresAt": "2026-02-02T00:00:00Z"}
    body.update(kw)
    return body


def envelope(body, signers):
    msg = ca.NOTICE_PREFIX + jcs.canonicalize(body)
    sigs = [{"signer": s.name, "keyId": s.kid.hex(), "sig": b64(s.sk.sign(msg))}
            for s in signers]
    sigs.sort(key=lambda s: (s["signer"], s["keyId"]))
    return {"notice": body, "signatures": sigs}


def sign_checkpoint(text, signers=(), cosigners=(), ts=1767312000):
    lines = [f"\u2014 {s.name} {b64(s.kid + s.sk.sign(text.encode()))}\n" for s in signers]
    for w in cosigners:
        t = ts.to_bytes(8, "big")
        msg = b"cosignature/v1\ntime %d\n" % ts + text.encode()
        lines.append(f"\u2014 {w.name} {b64(w.kid + t + w.sk.sign(msg))}\n")
    return text + "\n" + "".join(lines)


def checkpoint_text(size, root, origin=ORIGIN, height=3):
    return f"{origin}\n{size}\n{b64(root)}\ncairn-block {height} {'ab' * 32}\n"


def make_leaves(k, first=None, second=None):
    """Five leaves: two signed envelopes and three filler envelopes."""
    e1 = first if first is not None else jcs.canonicalize(envelope(
        notice_body("deposit", submitter="central.example", to="bank-a.example/eur",
                    amount="1250.00", currency="EUR"), [k["issuer"]]))
    e2 = second if second is not None else jcs.canonicalize(envelope(
        notice_body("transfer", submitter="bank-a.example", amount="10.00",
                    currency="EUR", **{"from": "bank-a.example/eur",
                                       "to": "bank-b.example/eur"}), [k["b"], k["a"]]))
    fill = [jcs.canonicalize(envelope(notice_body("deposit", nonce=f"f{i}",
                                                  submitter="central.example"),
                                      [k["issuer"]])) for i in range(3)]
    return [fill[0], e1, fill[1], e2, fill[2]]


def tlog_proof(leaves, index, cp_note, extra=None, proof=None):
    extra = leaves[index] if extra is None else extra
    proof = path(index, leaves) if proof is None else proof
    lines = ["c2sp.org/tlog-proof@v1", f"extra {b64(extra)}", f"index {index}"]
    lines += [b64(h) for h in proof]
    return ("\n".join(lines) + "\n\n" + cp_note).encode()


def build(world, leaves=None, index=3, signers=None, cosigners=None, **kw):
    k = world["keys"]
    leaves = leaves or make_leaves(k)
    cp = sign_checkpoint(checkpoint_text(len(leaves), mth(leaves)),
                         [k["val"]] if signers is None else signers,
                         [k["wit"]] if cosigners is None else cosigners)
    return leaves, cp, tlog_proof(leaves, index, cp, **kw)


def test_round_trip_ok(world):
    leaves, cp, data = build(world)
    out = ca.check_proof(data, world["genesis"], require_witnesses=True)
    assert out["ok"] and out["leafIndex"] == 3 and out["treeSize"] == 5
    assert out["kind"] == "transfer"
    assert [s["signer"] for s in out["signers"]] == ["bank-a.example", "bank-b.example"]
    body = json.loads(leaves[3])["notice"]
    want_id = hashlib.sha256(ca.NOTICE_PREFIX + jcs.canonicalize(body)).hexdigest()
    assert out["noticeId"] == want_id
    assert out["checkpointSigners"] == ["validator-a.example"]
    assert out["cosigners"] == [{"name": "auditor-1.example", "timestamp": 1767312000}]
    assert out["block"] == {"height": 3, "hash": "ab" * 32}
    assert out["kindPolicy"] == {"policy": "all(payer, payee)", "satisfied": True}
    assert out["root"] == b64(mth(leaves))
    out1 = ca.check_proof(tlog_proof(leaves, 1, cp), world["genesis"])
    assert out1["kind"] == "deposit" and out1["kindPolicy"]["satisfied"] is True


def test_cli_round_trip(world):
    leaves, cp, data = build(world)
    d = world["dir"]
    (d / "ok.tlog-proof").write_bytes(data)
    bad = bytearray(data)
    bad[data.index(b"index 3")+6] = ord("2")
    (d / "bad.tlog-proof").write_bytes(bytes(bad))
    run = lambda *a: subprocess.run([sys.executable, f"{HERE}/cairn_audit.py", *a],  # noqa
                                    capture_output=True, text=True)
    r = run("proof", "--genesis", world["genesis_path"], str(d / "ok.tlog-proof"),
            "--require-witnesses")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True
    r = run("proof", "--genesis", world["genesis_path"], str(d / "bad.tlog-proof"))
    assert r.returncode == 1 and "inclusion proof" in json.loads(r.stdout)["error"]
    # consistency 2 -> 5, old root from a signed old checkpoint
    k = world["keys"]
    old_cp = sign_checkpoint(checkpoint_text(2, mth(leaves[:2]), height=1), [k["val"]])
    (d / "old.checkpoint").write_text(old_cp)
    body = "old 2\n" + "".join(b64(h) + "\n" for h in subproof(2, leaves, True)) + "\n" + cp
    (d / "cons.txt").write_text(body)
    r = run("consistency", "--genesis", world["genesis_path"], str(d / "cons.txt"),
            "--old-checkpoint", str(d / "old.checkpoint"))
    assert r.returncode == 0, r.stdout
    r = run("consistency", "--genesis", world["genesis_path"], str(d / "cons.txt"),
            "--old-root", b64(mth(leaves[:3])))
    assert r.returncode == 1 and "old root" in json.loads(r.stdout)["error"]


def _flip_b64(s, i=0):
    raw = bytearray(unb64(s))
    raw[i] ^= 1
    return b64(bytes(raw))


def _fail(world, data, match, **kw):
    with pytest.raises(ca.VerifyError, match=match):
        ca.check_proof(data, world["genesis"], **kw)


def test_mutated_leaf_byte(world):
    leaves, cp, _ = build(world)
    bad = leaves[3].replace(b'"10.00"', b'"90.00"')
    _fail(world, tlog_proof(leaves, 3, cp, extra=bad), "inclusion proof does not verify")


def test_mutated_proof_hash(world):
    leaves, cp, _ = build(world)
    proof = path(3, leaves)
    proof[1] = bytes([proof[1][0] ^ 1]) + proof[1][1:]
    _fail(world, tlog_proof(leaves, 3, cp, proof=proof), "inclusion proof does not verify")
    _fail(world, tlog_proof(leaves, 3, cp, proof=path(3, leaves)[:-1]), "too few hashes")


def test_mutated_index(world):
    leaves, cp, _ = build(world)
    _fail(world, tlog_proof(leaves, 3, cp, proof=path(2, leaves)), "inclusion proof")
    _fail(world, tlog_proof(leaves, 5, cp, extra=leaves[3], proof=[]), ">= tree size")


def test_mutated_root(world):
    k = world["keys"]
    leaves, cp, _ = build(world)
    root_line = b64(mth(leaves))
    tampered = cp.replace(root_line, _flip_b64(root_line))
    _fail(world, tlog_proof(leaves, 3, tampered), "signature by validator-a.example")
    # A validator that signs a wrong root: signatures verify, inclusion fails.
    wrong = sign_checkpoint(checkpoint_text(5, mth(leaves[:4] + [b"x"])), [k["val"]])
    _fail(world, tlog_proof(leaves, 3, wrong), "inclusion proof does not verify")


def test_mutated_checkpoint_signature(world):
    leaves, cp, _ = build(world, cosigners=[])
    line = cp.rstrip("\n").split("\n")[-1]
    name, sig = line[2:].split(" ")
    bad = cp.replace(line, f"\u2014 {name} {_flip_b64(sig, 10)}")
    _fail(world, tlog_proof(leaves, 3, bad), "signature by validator-a.example .* does not")


def test_mutated_cosignature(world):
    leaves, cp, _ = build(world)
    line = cp.rstrip("\n").split("\n")[-1]
    name, sig = line[2:].split(" ")
    bad = cp.replace(line, f"\u2014 {name} {_flip_b64(sig, 5)}")   # the timestamp
    _fail(world, tlog_proof(leaves, 3, bad), "cosignature by auditor-1.example")


def test_witness_policy(world):
    leaves, _, data = build(world, cosigners=[])
    out = ca.check_proof(data, world["genesis"])
    assert out["witnessPolicy"]["satisfied"] is False and out["cosigners"] == []
    _fail(world, data, "witness policy .* not satisfied", require_witnesses=True)


def test_finality_needs_a_validator(world):
    k = world["keys"]
    _, _, data = build(world, signers=[k["a"]], cosigners=[])
    _fail(world, data, "finality policy .* not satisfied")
    stranger = Key("validator-a.example")   # same name, unknown key: ignored
    _, _, data = build(world, signers=[stranger], cosigners=[])
    _fail(world, data, "not in genesis; the proof needs --with-keys")
    _, _, data = build(world, signers=[stranger, k["val"]])
    out = ca.check_proof(data, world["genesis"])
    assert out["ignoredSignatures"][0]["keyId"] == stranger.kid.hex()


def test_origin_mismatch(world):
    k = world["keys"]
    leaves = make_leaves(k)
    cp = sign_checkpoint(checkpoint_text(5, mth(leaves), origin="evil.example/log"),
                         [k["val"]])
    _fail(world, tlog_proof(leaves, 3, cp), "origin")


def test_bad_notice_signature(world):
    k = world["keys"]
    env = envelope(notice_body("transfer", amount="10.00"), [k["a"]])
    env["notice"]["amount"] = "11.00"   # signed 10.00, committed 11.00
    leaves, _, data = build(world, leaves=make_leaves(k, second=jcs.canonicalize(env)))
    _fail(world, data, "notice signature by bank-a.example .* does not verify")


def test_unknown_notice_key(world):
    k = world["keys"]
    env = envelope(notice_body("transfer", amount="1.00"), [Key("bank-a.example")])
    _, _, data = build(world, leaves=make_leaves(k, second=jcs.canonicalize(env)))
    _fail(world, data, r"key id [0-9a-f]{8} of signer bank-a.example not in genesis; "
                       "the proof needs --with-keys key history")
    env = envelope(notice_body("transfer", amount="1.00"), [Key("mallory.example")])
    _, _, data = build(world, leaves=make_leaves(k, second=jcs.canonicalize(env)))
    _fail(world, data, "not a genesis member")


def test_unsorted_envelope_signatures(world):
    k = world["keys"]
    env = envelope(notice_body("transfer", amount="1.00"), [k["a"], k["b"]])
    env["signatures"].reverse()
    _, _, data = build(world, leaves=make_leaves(k, second=jcs.canonicalize(env)))
    _fail(world, data, "not sorted")


@pytest.mark.parametrize("how", ["whitespace", "unsorted", "escaped", "duplicate",
                                 "bigint", "surrogate", "badutf8"])
def test_non_canonical_leaf(world, how):
    """The log committed a non-canonical leaf: it must be rejected, never repaired."""
    k = world["keys"]
    env = envelope(notice_body("transfer", amount="1.00"), [k["a"]])
    good = jcs.canonicalize(env)
    bad = {
        "whitespace": good + b" ",
        "unsorted": json.dumps({"signatures": env["signatures"], "notice": env["notice"]},
                               separators=(",", ":")).encode(),
        "escaped": good.replace(b'"kind"', b'"\\u006bind"'),
        "duplicate": good.replace(b'{"amount"', b'{"amount":"2.00","amount"'),
        "bigint": good.replace(b'"refs":[]', b'"refs":[9007199254740993]'),
        "surrogate": good.replace(b'"refs":[]', b'"refs":["\\ud800"]'),
        "badutf8": good.replace(b'"refs":[]', b'"refs":["\xc3\x28"]'),
    }[how]
    assert bad != good
    _, _, data = build(world, leaves=make_leaves(k, second=bad))
    match = {"duplicate": "duplicate JSON object key", "bigint": "outside",
             "surrogate": "lone surrogate", "badutf8": "invalid UTF-8"}.get(how, "not canonical")
    _fail(world, data, match)


def test_tlog_proof_format(world):
    leaves, cp, data = build(world)
    text = data.decode()
    cases = {
        "c2sp.org/tlog-proof@v2": ("c2sp.org/tlog-proof@v1", "first line"),
        "index 03": ("index 3", "canonical decimal"),
        "idx 3": ("index 3", "must be 'index N'"),
    }
    for new, (old, match) in cases.items():
        _fail(world, text.replace(old, new).encode(), match)
    first_extra = text.split("\n")[1]
    _fail(world, text.replace(first_extra, first_extra + "\n" + first_extra).encode(),
          "line 3 must be 'index N'")
    no_extra = "\n".join(line for line in text.split("\n") if not line.startswith("extra"))
    _fail(world, no_extra.encode(), "no extra line")
    _fail(world, text.replace("\n\n", "\n", 1).encode(), "invalid base64|expected 32")
    _fail(world, text.replace("\n", "\r\n").encode(), "control character")
    _fail(world, text[:-1].encode(), "does not end in a newline")
    _fail(world, (text + "garbage\n").encode(), "malformed signature line")


def test_consistency_round_trip(world):
    k = world["keys"]
    leaves, cp, _ = build(world)
    g = world["genesis"]
    for m in range(1, 6):
        proof = subproof(m, leaves, True)
        body = f"old {m}\n" + "".join(b64(h) + "\n" for h in proof) + "\n" + cp
        out = ca.check_consistency(body.encode(), g, mth(leaves[:m]), True)
        assert out["oldSize"] == m and out["treeSize"] == 5
        with pytest.raises(ca.VerifyError, match="old root|roots differ"):
            ca.check_consistency(body.encode(), g, mth(leaves[:m])[::-1])
        if proof:
            bad = f"old {m}\n" + "".join(b64(h[::-1]) + "\n" for h in proof) + "\n" + cp
            with pytest.raises(ca.VerifyError, match="does not verify"):
                ca.check_consistency(bad.encode(), g, mth(leaves[:m]))
    with pytest.raises(ca.VerifyError, match="old size must be > 0"):
        ca.check_consistency(("old 0\n\n" + cp).encode(), g, mth([]))
    with pytest.raises(ca.VerifyError, match="> new size"):
        ca.check_consistency(("old 6\n\n" + cp).encode(), g, mth(leaves))
    unsigned = cp.split("\n\n")[0] + "\n\n\u2014 validator-a.example AAAAAAAA\n"
    with pytest.raises(ca.VerifyError, match="no signature from a known key"):
        ca.check_consistency(("old 5\n\n" + unsigned).encode(), g, mth(leaves))
    with pytest.raises(ca.VerifyError, match="old checkpoint has size 4"):
        ca.check_consistency(("old 5\n\n" + cp).encode(), g, mth(leaves), old_size=4)


def test_policy_language(world):
    g = world["genesis"]
    ev = lambda p, s, ctx=None: ca.eval_policy(ca.parse_policy(p), s, g, ctx)  # noqa
    assert ev("thresh(1, role(validator))", ["validator-a.example"])
    assert not ev("thresh(2, role(partner), sig(central.example))", ["bank-a.example"])
    assert ev("thresh(2, role(partner), sig(central.example))",
              ["bank-a.example", "central.example"])
    assert ev("any(sig(x.example), all(role(partner)))", ["bank-a.example", "bank-b.example"])
    assert not ev("role(partner)", ["bank-a.example"])
    assert ev("all(payer, payee)", ["bank-a.example", "bank-b.example"],
              {"payer": "bank-a.example", "payee": "bank-b.example"})
    for bad in ["thresh(0, role(partner))", "thresh(3, role(partner))",
                "role(nobody)", "payer", "sig()", "all(", "all(sig(a)) x", "frob(a)"]:
        with pytest.raises(ca.VerifyError):
            ev(bad, ["bank-a.example"])


def test_genesis_rejects_bad_keys(world, tmp_path):
    k = world["keys"]
    base = {"origin": ORIGIN, "members": [{"name": "bank-a.example", "roles": [],
                                           "keys": [k["a"].vkey()]}]}
    ident = bytes([1]) + bytes(31)
    bad_keys = {
        "small-order": f"bank-a.example+{ca.key_id('bank-a.example', 1, ident).hex()}"
                       f"+{b64(bytes([1]) + ident)}",
        "wrong id": k["a"].vkey().replace(k["a"].kid.hex(), "00000000"),
        "other name": k["b"].vkey(),
        "type 2": k["a"].vkey().split("+")[0] + "+" + k["a"].kid.hex() + "+"
                  + b64(bytes([2]) + k["a"].pub),
    }
    for what, vk in bad_keys.items():
        g = json.loads(json.dumps(base))
        g["members"][0]["keys"].append(vk)
        p = tmp_path / "g.json"
        p.write_text(json.dumps(g))
        with pytest.raises(ca.VerifyError):
            ca.load_genesis(str(p))
