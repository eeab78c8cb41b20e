#!/usr/bin/env python3
"""cairn_audit: an independent, offline verifier for Cairn proofs.

Written from the public specs only (RFC 9162, RFC 8785, C2SP signed-note,
tlog-checkpoint, tlog-cosignature, tlog-proof, tlog-witness) and Cairn's
DESIGN.md section 1. Dependencies: stdlib, `cryptography` (Ed25519), `jcs`.

    cairn_audit.py proof --genesis G.json FILE.tlog-proof [--require-witnesses]
    cairn_audit.py consistency --genesis G.json FILE (--old-root B64 | --old-checkpoint F)

Prints a JSON summary with "ok": true, or {"ok": false, "error": ...} and exits 1.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field

import jcs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

NOTICE_PREFIX = b"cairn/v1/notice\n"
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
SIG_ED25519, SIG_COSIGNATURE_V1 = 0x01, 0x04
MAX_SIGNATURES = 256          # signed-note: verifiers MUST accept at least 16
MAX_SAFE_INTEGER = 2**53 - 1  # DESIGN 1.1
DEFAULT_FINALITY = "thresh(1, role(validator))"


class VerifyError(Exception):
    """A check failed; the message says which one."""


# ---------------------------------------------------------------- encodings

def b64decode(s: str, what: str, size: int | None = None) -> bytes:
    """Standard base64 (RFC 4648 section 4), padded and canonical."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise VerifyError(f"{what}: invalid base64 {s!r}") from None
    if base64.b64encode(raw).decode() != s:
        raise VerifyError(f"{what}: non-canonical base64 {s!r}")
    if size is not None and len(raw) != size:
        raise VerifyError(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def parse_uint(s: str, what: str) -> int:
    """ASCII decimal with no leading zeroes (unless 0), fitting in a u64."""
    if not re.fullmatch(r"0|[1-9][0-9]*", s) or int(s) >= 2**64:
        raise VerifyError(f"{what}: not a canonical decimal u64: {s!r}")
    return int(s)


def decode_text(data: bytes, what: str) -> str:
    """Signed notes MUST be UTF-8 with no control characters but newline."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise VerifyError(f"{what}: invalid UTF-8 at byte {e.start}") from None
    bad = re.search(r"[\x00-\x09\x0b-\x1f]", text)
    if bad:
        raise VerifyError(f"{what}: control character {bad.group()!r} not allowed")
    return text


# ---------------------------------------------------- RFC 9162 Merkle trees

def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(hashes, what: str) -> None:
    for i, h in enumerate(hashes):
        if len(h) != 32:
            raise VerifyError(f"{what}[{i}] is {len(h)} bytes, not 32")


def verify_inclusion(index: int, size: int, lhash: bytes, proof: list[bytes],
                     root: bytes) -> None:
    """RFC 9162 section 2.1.3.2, step by step."""
    _check_hashes([lhash, root] + proof, "inclusion hash")
    if index >= size:                                   # step 1
        raise VerifyError(f"inclusion proof: leaf index {index} >= tree size {size}")
    fn, sn, r = index, size - 1, lhash                  # steps 2-3
    for p in proof:                                     # step 4
        if sn == 0:
            raise VerifyError("inclusion proof: too many hashes")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:                                         # step 5
        raise VerifyError("inclusion proof: too few hashes")
    if r != root:
        raise VerifyError("inclusion proof does not verify against the checkpoint root")


def verify_consistency(size1: int, size2: int, proof: list[bytes],
                       root1: bytes, root2: bytes) -> None:
    """RFC 9162 section 2.1.4.2, plus the equal-size case of tlog-witness."""
    _check_hashes([root1, root2] + proof, "consistency hash")
    if size1 == 0:
        raise VerifyError("consistency proof: old size must be > 0")
    if size1 > size2:
        raise VerifyError(f"consistency proof: old size {size1} > new size {size2}")
    if size1 == size2:
        if proof:
            raise VerifyError("consistency proof: sizes are equal, proof must be empty")
        if root1 != root2:
            raise VerifyError("consistency proof: sizes are equal but roots differ")
        return
    if not proof:                                       # step 1
        raise VerifyError("consistency proof: empty proof for different sizes")
    path = list(proof)
    if size1 & (size1 - 1) == 0:                        # step 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1                       # step 3
    while fn & 1:                                       # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]                                   # step 5
    for c in path[1:]:                                  # step 6
        if sn == 0:
            raise VerifyError("consistency proof: too many hashes")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:                                         # step 7
        raise VerifyError("consistency proof: too few hashes")
    if fr != root1 or sr != root2:
        raise VerifyError(f"consistency proof does not verify from the old root "
                          f"(size {size1}) to the new root (size {size2})")


# ------------------------------------------- Ed25519 public key screening
# DESIGN 1.2: reject small-order or non-canonically encoded public keys.
_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _decode_point(b: bytes):
    """RFC 8032 section 5.1.3, strict: returns (x, y) or None."""
    y = int.from_bytes(b, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= _P:
        return None
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P != 0:
        if (v * x * x + u) % _P != 0:
            return None
        x = x * _SQRT_M1 % _P
    if x == 0 and sign:
        return None
    return (_P - x if x & 1 != sign else x), y


def _point_add(p, q):
    (x1, y1), (x2, y2) = p, q
    t = _D * x1 * x2 * y1 * y2 % _P
    return ((x1 * y2 + y1 * x2) * pow(1 + t, -1, _P) % _P,
            (y1 * y2 + x1 * x2) * pow(1 - t, -1, _P) % _P)


def check_ed25519_public_key(pub: bytes) -> None:
    pt = _decode_point(pub)
    if pt is None:
        raise ValueError("not a canonically encoded Ed25519 point")
    for _ in range(3):
        pt = _point_add(pt, pt)
    if pt == (0, 1):
        raise ValueError("small-order Ed25519 public key")


def ed25519_verify(pub: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


# -------------------------------------------------- C2SP signed-note vkeys

def key_id(name: str, sig_type: int, pub: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + pub).digest()[:4]


def valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class Vkey:
    name: str
    key_id: bytes
    type: int
    pub: bytes


def parse_vkey(s: str) -> Vkey:
    """<name>+<hex key id>+<base64(type || key)>, types 0x01 and 0x04 only."""
    parts = s.split("+", 2)   # base64 may itself contain "+"
    if len(parts) != 3 or not valid_key_name(parts[0]):
        raise VerifyError(f"malformed vkey {s!r}")
    name, hexid, b64key = parts
    if not re.fullmatch(r"[0-9a-f]{8}", hexid):
        raise VerifyError(f"vkey {s!r}: key id must be 8 lowercase hex digits")
    raw = b64decode(b64key, f"vkey {name}")
    if len(raw) != 33 or raw[0] not in (SIG_ED25519, SIG_COSIGNATURE_V1):
        raise VerifyError(f"vkey {s!r}: want type 0x01 or 0x04 and a 32-byte key")
    sig_type, pub = raw[0], raw[1:]
    if key_id(name, sig_type, pub).hex() != hexid:
        raise VerifyError(f"vkey {s!r}: key id does not match the key")
    try:
        check_ed25519_public_key(pub)
    except ValueError as e:
        raise VerifyError(f"vkey {s!r}: {e}") from None
    return Vkey(name, bytes.fromhex(hexid), sig_type, pub)


# ----------------------------------------------------- C2SP signed notes

def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Returns (text, [(key name, base64-decoded signature)]). The text ends in
    a newline and is separated from the signatures by the last empty line."""
    if not note.endswith("\n"):
        raise VerifyError("signed note: does not end in a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerifyError("signed note: no blank line before the signatures")
    text, sig_block = note[:cut + 1], note[cut + 2:]
    lines = sig_block.split("\n")[:-1]
    if not lines:
        raise VerifyError("signed note: no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise VerifyError(f"signed note: more than {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        m = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if not m or not valid_key_name(m.group(1)):
            raise VerifyError(f"signed note: malformed signature line {line!r}")
        raw = b64decode(m.group(2), f"signature of {m.group(1)}")
        if len(raw) < 5:
            raise VerifyError(f"signed note: signature of {m.group(1)} too short")
        sigs.append((m.group(1), raw))
    return text, sigs


@dataclass
class NoteResult:
    text: str
    signers: list[str] = field(default_factory=list)      # verified 0x01 names
    cosigners: dict[str, int] = field(default_factory=dict)  # name -> timestamp
    ignored: list[dict] = field(default_factory=list)


def verify_note(note: str, vkeys: list[Vkey], member_names=()) -> NoteResult:
    """Signed-note verification: unknown keys are ignored; a known key whose
    signature fails rejects the note; at least one known key must verify."""
    text, sigs = split_note(note)
    known = {(k.name, k.key_id): k for k in vkeys}
    res, msg = NoteResult(text), text.encode()
    for name, raw in sigs:
        kid, body = raw[:4], raw[4:]
        k = known.get((name, kid))
        if k is None:
            reason = "unknown key"
            if name in member_names:
                reason = (f"key id {kid.hex()} of signer {name} not in genesis; "
                          "the proof needs --with-keys key history")
            res.ignored.append({"name": name, "keyId": kid.hex(), "reason": reason})
            continue
        if k.type == SIG_ED25519:
            if len(body) != 64 or not ed25519_verify(k.pub, body, msg):
                raise VerifyError(f"signature by {name} (key {kid.hex()}) does not verify")
            if name not in res.signers:
                res.signers.append(name)
        else:  # tlog-cosignature/v1: timestamp u64 big-endian || Ed25519 sig
            if len(body) != 72:
                raise VerifyError(f"cosignature by {name}: wrong length {len(body)}")
            ts = int.from_bytes(body[:8], "big")
            if ts > 2**63 - 1:
                raise VerifyError(f"cosignature by {name}: timestamp exceeds 2^63-1")
            signed = b"cosignature/v1\ntime %d\n" % ts + msg
            if not ed25519_verify(k.pub, body[8:], signed):
                raise VerifyError(f"cosignature by {name} (key {kid.hex()}) does not verify")
            res.cosigners[name] = ts
    if not res.signers and not res.cosigners:
        hint = "; ".join(i["reason"] for i in res.ignored if i["reason"] != "unknown key")
        raise VerifyError("signed note: no signature from a known key" +
                          (f" ({hint})" if hint else ""))
    return res


# --------------------------------------------------------- genesis, policy

@dataclass
class Member:
    name: str
    roles: list[str]
    vkeys: list[Vkey]


@dataclass
class Genesis:
    origin: str
    members: dict[str, Member]
    policies: dict[str, str]

    def vkeys(self) -> list[Vkey]:
        return [k for m in self.members.values() for k in m.vkeys]


def load_genesis(path: str) -> Genesis:
    try:
        with open(path, "rb") as f:
            g = json.loads(f.read().decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VerifyError(f"genesis {path}: {e}") from None
    if not isinstance(g, dict) or not isinstance(g.get("origin"), str) or not g["origin"]:
        raise VerifyError("genesis: missing origin")
    members: dict[str, Member] = {}
    seen_keys = set()
    if not isinstance(g.get("members"), list) or not g["members"]:
        raise VerifyError("genesis: members must be a non-empty list")
    for m in g["members"]:
        name = m.get("name") if isinstance(m, dict) else None
        if not isinstance(name, str) or not valid_key_name(name) or name in members:
            raise VerifyError(f"genesis: bad or duplicate member name {name!r}")
        keys, roles = m.get("keys", []), m.get("roles", [])
        if not all(isinstance(x, list) and all(isinstance(i, str) for i in x)
                   for x in (keys, roles)):
            raise VerifyError(f"genesis: keys and roles of {name} must be string lists")
        vkeys = [parse_vkey(s) for s in keys]
        for k in vkeys:
            if k.name != name:
                raise VerifyError(f"genesis: member {name} has a key named {k.name}")
            if (k.name, k.key_id) in seen_keys:
                raise VerifyError(f"genesis: duplicate key id {k.key_id.hex()} for {name}")
            seen_keys.add((k.name, k.key_id))
        members[name] = Member(name, roles, vkeys)
    policies = g.get("policies", {})
    if not isinstance(policies, dict) or not all(isinstance(v, str) for v in policies.values()):
        raise VerifyError("genesis: policies must be an object of strings")
    return Genesis(g["origin"], members, policies)


def parse_policy(src: str):
    """sig(name) | role(r) | all(e, ...) | any(e, ...) | thresh(k, e, ...) |
    payer | payee, parsed into nested tuples."""
    toks, pos = re.findall(r"[(),]|[^\s(),]+", src) + [None], 0

    def take(want=None):
        nonlocal pos
        tok = toks[pos]
        if tok is None or (want and tok != want) or (not want and tok in ("(", ")", ",")):
            raise VerifyError(f"policy {src!r}: unexpected {tok or 'end'!r}"
                              + (f", expected {want!r}" if want else ""))
        pos += 1
        return tok

    def expr():
        head = take()
        if head in ("payer", "payee"):
            return (head,)
        if head not in ("sig", "role", "all", "any", "thresh"):
            raise VerifyError(f"policy {src!r}: unknown term {head!r}")
        take("(")
        if head in ("sig", "role"):
            node = (head, take())
        else:
            k = parse_uint(take(), f"policy {src!r} threshold") if head == "thresh" else None
            if k is not None:
                take(",")
            args = [expr()]
            while toks[pos] == ",":
                take(",")
                args.append(expr())
            node = (head, k, args)
        take(")")
        return node

    tree = expr()
    if toks[pos] is not None:
        raise VerifyError(f"policy {src!r}: trailing input {toks[pos]!r}")
    return tree


def eval_policy(tree, signers, genesis: Genesis, ctx=None) -> bool:
    """role(r) stands for sig(m) of every member with role r: inside all/any/
    thresh it expands into those items; alone it means all of them."""
    signers, ctx = set(signers), ctx or {}

    def expand(t):
        if t[0] != "role":
            return [t]
        names = [m.name for m in genesis.members.values() if t[1] in m.roles]
        if not names:
            raise VerifyError(f"policy: no member has role {t[1]!r}")
        return [("sig", n) for n in names]

    def ev(t):
        if t[0] == "sig":
            return t[1] in signers
        if t[0] in ("payer", "payee"):
            if t[0] not in ctx:
                raise VerifyError(f"policy: {t[0]} is undefined here")
            return ctx[t[0]] in signers
        if t[0] == "role":
            return all(ev(x) for x in expand(t))
        items = [x for a in t[2] for x in expand(a)]
        hits = sum(1 for x in items if ev(x))
        if t[0] == "all":
            return hits == len(items)
        if t[0] == "any":
            return hits >= 1
        if not 1 <= t[1] <= len(items):
            raise VerifyError(f"policy: thresh({t[1]}, ...) over {len(items)} items")
        return hits >= t[1]

    return ev(tree)


# ------------------------------------------------------------- checkpoints

def verify_checkpoint(note: str, genesis: Genesis, require_witnesses: bool) -> dict:
    """C2SP tlog-checkpoint signed by validators, optionally cosigned."""
    res = verify_note(note, genesis.vkeys(), genesis.members.keys())
    lines = res.text.split("\n")[:-1]
    if len(lines) < 3 or any(not line for line in lines):
        raise VerifyError("checkpoint: need origin, size and root hash lines, none empty")
    origin, size_s, root_s, ext = lines[0], lines[1], lines[2], lines[3:]
    if origin != genesis.origin:
        raise VerifyError(f"checkpoint origin {origin!r} is not the genesis origin "
                          f"{genesis.origin!r}")
    size = parse_uint(size_s, "checkpoint size")
    root = b64decode(root_s, "checkpoint root", 32)
    block = None
    for line in ext:
        if line.startswith("cairn-block "):
            m = re.fullmatch(r"cairn-block (\S+) ([0-9a-f]{64})", line)
            if not m or block is not None:
                raise VerifyError(f"checkpoint: bad or repeated cairn-block line {line!r}")
            block = {"height": parse_uint(m.group(1), "cairn-block height"),
                     "hash": m.group(2)}
    finality = genesis.policies.get("finality", DEFAULT_FINALITY)
    if not eval_policy(parse_policy(finality), res.signers, genesis):
        hints = [i["reason"] for i in res.ignored if i["reason"] != "unknown key"]
        raise VerifyError(f"checkpoint: finality policy {finality!r} not satisfied by "
                          f"verified signers {sorted(res.signers)}"
                          + (f" ({'; '.join(hints)})" if hints else ""))
    witness = genesis.policies.get("witness")
    witness_ok = None
    if witness is not None:
        witness_ok = eval_policy(parse_policy(witness), res.cosigners, genesis)
    if require_witnesses:
        if witness is None:
            raise VerifyError("--require-witnesses: genesis has no witness policy")
        if not witness_ok:
            raise VerifyError(f"witness policy {witness!r} not satisfied by verified "
                              f"cosigners {sorted(res.cosigners)}")
    return {"origin": origin, "treeSize": size, "root": root_s, "rootBytes": root,
            "block": block, "extensions": ext,
            "checkpointSigners": sorted(res.signers),
            "cosigners": [{"name": n, "timestamp": t} for n, t in sorted(res.cosigners.items())],
            "finalityPolicy": finality,
            "witnessPolicy": None if witness is None else {"policy": witness,
                                                           "satisfied": witness_ok},
            "ignoredSignatures": res.ignored}


# ------------------------------------------------------ leaves, envelopes

def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise VerifyError(f"duplicate JSON object key {k!r}")
        obj[k] = v
    return obj


def _reject_constant(name):
    raise VerifyError(f"JSON constant {name} is not allowed")


def _check_values(v, path="$"):
    if isinstance(v, dict):
        for k, x in v.items():
            _check_values(k, path)
            _check_values(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_values(x, f"{path}[{i}]")
    elif isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise VerifyError(f"lone surrogate escape in a string at {path}") from None
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_SAFE_INTEGER:
        raise VerifyError(f"integer at {path} is outside +-(2^53-1)")


def load_canonical_json(data: bytes, what: str):
    """Parse strictly and require that the bytes already are JCS output."""
    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates,
                         parse_constant=_reject_constant)
        _check_values(obj)
    except UnicodeDecodeError as e:
        raise VerifyError(f"{what}: invalid UTF-8 at byte {e.start}") from None
    except (json.JSONDecodeError, VerifyError) as e:
        raise VerifyError(f"{what}: {e}") from None
    if jcs.canonicalize(obj) != data:
        raise VerifyError(f"{what} is not canonical JCS (RFC 8785); it must not be repaired")
    return obj


def _utf16(s: str) -> bytes:
    return s.encode("utf-16-be", "surrogatepass")


def verify_envelope(leaf: bytes, genesis: Genesis) -> dict:
    env = load_canonical_json(leaf, "leaf")
    if not isinstance(env, dict) or set(env) != {"notice", "signatures"}:
        raise VerifyError('leaf: envelope must be {"notice": ..., "signatures": [...]}')
    body, sigs = env["notice"], env["signatures"]
    if not isinstance(body, dict) or not isinstance(sigs, list) or not sigs:
        raise VerifyError("leaf: notice must be an object, signatures a non-empty list")
    message = NOTICE_PREFIX + jcs.canonicalize(body)
    verified, prev = [], None
    for i, s in enumerate(sigs):
        if (not isinstance(s, dict) or set(s) != {"signer", "keyId", "sig"}
                or not all(isinstance(v, str) for v in s.values())):
            raise VerifyError(f"leaf: signature {i} must be {{signer, keyId, sig}} strings")
        signer, kid = s["signer"], s["keyId"]
        order = (_utf16(signer), kid)
        if prev is not None and order <= prev:
            raise VerifyError("leaf: signatures not sorted by signer, then key id, "
                              "or repeated")
        prev = order
        member = genesis.members.get(signer)
        if member is None:
            raise VerifyError(f"notice signer {signer} is not a genesis member")
        key = next((k for k in member.vkeys if k.key_id.hex() == kid), None)
        if key is None:
            raise VerifyError(f"key id {kid} of signer {signer} not in genesis; "
                              "the proof needs --with-keys key history")
        if key.type != SIG_ED25519:
            raise VerifyError(f"key id {kid} of signer {signer} is a witness key (0x04), "
                              "not a notice signing key")
        sig = b64decode(s["sig"], f"signature of {signer}", 64)
        if not ed25519_verify(key.pub, sig, message):
            raise VerifyError(f"notice signature by {signer} (key {kid}) does not verify")
        verified.append({"signer": signer, "keyId": kid})
    kind = body.get("kind")
    summary = {"noticeId": hashlib.sha256(message).hexdigest(),
               "kind": kind, "signers": verified}
    policy = genesis.policies.get(kind) if isinstance(kind, str) else None
    if policy is not None:   # informational: policies may change on the ledger
        ctx = {r: body[f][:body[f].find("/")] for r, f in (("payer", "from"), ("payee", "to"))
               if isinstance(body.get(f), str) and "/" in body[f]}
        try:
            ok = eval_policy(parse_policy(policy), [v["signer"] for v in verified],
                             genesis, ctx)
        except VerifyError as e:
            ok = f"not evaluated: {e}"
        summary["kindPolicy"] = {"policy": policy, "satisfied": ok}
    return summary


# ------------------------------------------------------------ file formats

def _hashes_then_note(lines: list[str], i: int, what: str) -> tuple[list[bytes], str]:
    """Base64 hash lines from lines[i] to an empty line, then the note verbatim."""
    proof = []
    while i < len(lines) and lines[i]:
        proof.append(b64decode(lines[i], f"{what} hash line {i + 1}", 32))
        i += 1
    if i >= len(lines) - 1:
        raise VerifyError(f"{what}: missing empty line and checkpoint")
    return proof, "\n".join(lines[i + 1:])


def parse_tlog_proof(data: bytes) -> tuple[bytes | None, int, list[bytes], str]:
    """c2sp.org/tlog-proof@v1: header, optional single `extra` line, `index N`,
    zero or more hash lines, an empty line, then the checkpoint verbatim."""
    lines = decode_text(data, "tlog-proof").split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise VerifyError(f"tlog-proof: first line must be {TLOG_PROOF_HEADER!r}")
    i, extra = 1, None
    if len(lines) > i and lines[i].startswith("extra "):
        extra = b64decode(lines[i][len("extra "):], "tlog-proof extra")
        i += 1
    if len(lines) <= i or not lines[i].startswith("index "):
        raise VerifyError(f"tlog-proof: line {i + 1} must be 'index N'")
    index = parse_uint(lines[i][len("index "):], "tlog-proof index")
    return (extra, index, *_hashes_then_note(lines, i + 1, "tlog-proof"))


def parse_witness_body(data: bytes) -> tuple[int, list[bytes], str]:
    """tlog-witness add-checkpoint body: `old N`, hash lines, empty line, checkpoint."""
    lines = decode_text(data, "consistency file").split("\n")
    if not lines[0].startswith("old "):
        raise VerifyError("consistency file: first line must be 'old N'")
    old = parse_uint(lines[0][len("old "):], "old size")
    proof, note = _hashes_then_note(lines, 1, "consistency file")
    if len(proof) > 63:
        raise VerifyError("consistency file: more than 63 proof lines")
    return old, proof, note


# ---------------------------------------------------------------- commands

def check_proof(data: bytes, genesis: Genesis, require_witnesses=False) -> dict:
    extra, index, proof, checkpoint = parse_tlog_proof(data)
    if extra is None:
        raise VerifyError("tlog-proof: no extra line; Cairn proofs carry the leaf there")
    cp = verify_checkpoint(checkpoint, genesis, require_witnesses)
    lh = leaf_hash(extra)
    verify_inclusion(index, cp["treeSize"], lh, proof, cp.pop("rootBytes"))
    env = verify_envelope(extra, genesis)
    return {"ok": True, "command": "proof", **env, "leafIndex": index,
            "leafHash": lh.hex(), **cp}


def check_consistency(data: bytes, genesis: Genesis, old_root: bytes,
                      require_witnesses=False, old_size: int | None = None) -> dict:
    old, proof, checkpoint = parse_witness_body(data)
    if old_size is not None and old_size != old:
        raise VerifyError(f"old checkpoint has size {old_size}, file says old {old}")
    cp = verify_checkpoint(checkpoint, genesis, require_witnesses)
    verify_consistency(old, cp["treeSize"], proof, old_root, cp.pop("rootBytes"))
    return {"ok": True, "command": "consistency", "oldSize": old,
            "oldRoot": base64.b64encode(old_root).decode(), **cp}


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise VerifyError(f"cannot read {path}: {e.strerror}") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Offline verifier for Cairn proofs.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("proof", help="verify a tlog-proof@v1 inclusion proof")
    p.add_argument("file")
    c = sub.add_parser("consistency", help="verify a tlog-witness consistency body")
    c.add_argument("file")
    old = c.add_mutually_exclusive_group(required=True)
    old.add_argument("--old-root", help="base64 root hash of the old tree")
    old.add_argument("--old-checkpoint", help="a signed checkpoint of the old tree")
    for s in (p, c):
        s.add_argument("--genesis", required=True)
        s.add_argument("--require-witnesses", action="store_true")
    args = ap.parse_args(argv)
    try:
        genesis = load_genesis(args.genesis)
        data = _read(args.file)
        if args.cmd == "proof":
            out = check_proof(data, genesis, args.require_witnesses)
        else:
            old_size = None
            if args.old_checkpoint:
                note = decode_text(_read(args.old_checkpoint), "old checkpoint")
                ocp = verify_checkpoint(note, genesis, False)
                old_root, old_size = ocp["rootBytes"], ocp["treeSize"]
            else:
                old_root = b64decode(args.old_root, "--old-root", 32)
            out = check_consistency(data, genesis, old_root, args.require_witnesses,
                                    old_size)
    except VerifyError as e:
        print(json.dumps({"ok": False, "error": str(e)}, indent=2))
        return 1
    except Exception as e:  # fail closed on anything unexpected
        print(json.dumps({"ok": False, "error": f"internal error: {e!r}"}, indent=2))
        return 1
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
