#!/usr/bin/env python3
"""Writes pacs008-nonce-vectors.json: the nonce derivation of `cairn import` (README, "How an
import recognises a payment"), computed here from its description alone, with hashlib.

    python3 Tests/CairnExportTests/Resources/gen_pacs008_nonces.py > Tests/CairnExportTests/Resources/pacs008-nonce-vectors.json
"""
import hashlib
import json
import struct

TAG = "cairn/pacs008-nonce/v1"


def field(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def nonce(kind, fields, index):
    message = field(TAG) + field(kind) + b"".join(field(f) for f in fields) + struct.pack(">I", index)
    return hashlib.sha256(message).hexdigest()


CASES = [
    ("a payment with a UETR", "6f1c2d3e-4b5a-4c6d-8e7f-901234567890", None, None, 0),
    ("the second notice of the same payment", "6f1c2d3e-4b5a-4c6d-8e7f-901234567890", None, None, 1),
    ("without a UETR: EndToEndId and instructing agent", None, "E2E-0002", "BICFI:BANKDEFFXXX", 0),
    ("the split between EndToEndId and agent is part of the hash", None, "E2E-0002B", "ICFI:BANKDEFFXXX", 0),
    ("a non-ASCII EndToEndId counts its UTF-8 bytes", None, "Überweisung-Nr-7", "LEI:5493001KJTIIGC8Y1R12", 0),
    ("a UETR that is also an EndToEndId is another payment", None, "6f1c2d3e-4b5a-4c6d-8e7f-901234567890", "BICFI:BANKDEFFXXX", 0),
]

vectors = []
for desc, uetr, e2e, agent, index in CASES:
    v = {"desc": desc, "index": index}
    if uetr is not None:
        v["uetr"] = uetr
        v["want"] = nonce("uetr", [uetr.lower()], index)
    else:
        v["endToEndId"] = e2e
        v["agent"] = agent
        v["want"] = nonce("e2e", [e2e, agent], index)
    vectors.append(v)
print(json.dumps({"tag": TAG, "vectors": vectors}, indent=1, ensure_ascii=False))
