import CairnCore
import Testing

@Suite struct KeyTests {
    let seed = [UInt8](repeating: 7, count: 32)

    @Test func vkeyRoundTripAndKeyID() throws {
        let key = try SigningKey(name: "bank-a.example", seed: seed)
        let parsed = try VerifierKey(parsing: key.verifierKey.description)
        #expect(parsed == key.verifierKey)
        // Key id = SHA-256(name || 0x0A || 0x01 || pubkey)[:4].
        let expected = Hash.sha256(Array("bank-a.example".utf8) + [0x0a, 0x01] + key.verifierKey.publicKey).bytes.prefix(4)
        #expect(key.verifierKey.keyIDBytes == Array(expected))
        #expect(try SigningKey(parsing: key.encoded).verifierKey == key.verifierKey)
    }

    @Test func witnessKeysUseType4InTheirKeyID() throws {
        let key = try SigningKey(name: "auditor-1.example", type: .cosignature, seed: seed)
        let expected = Hash.sha256(Array("auditor-1.example".utf8) + [0x0a, 0x04] + key.verifierKey.publicKey).bytes.prefix(4)
        #expect(key.verifierKey.keyIDBytes == Array(expected))
        #expect(key.verifierKey.description.split(separator: "+")[2].hasPrefix("B"))  // base64 of 0x04...
    }

    @Test func refusesWrongKeyIDAndMalformedVkeys() throws {
        let key = try SigningKey(name: "bank-a.example", seed: seed)
        let parts = key.verifierKey.description.split(separator: "+", maxSplits: 2)
        #expect(throws: CairnError.self) { try VerifierKey(parsing: "\(parts[0])+00000000+\(parts[2])") }
        #expect(throws: CairnError.self) { try VerifierKey(parsing: "\(parts[0])+\(parts[1])") }
        #expect(throws: CairnError.self) { try VerifierKey(parsing: "bad name+\(parts[1])+\(parts[2])") }
        #expect(throws: CairnError.self) { try VerifierKey(parsing: "\(parts[0])+\(parts[1])+\(parts[2].dropLast())") }
    }

    /// Small-order and non-canonical encodings are refused, so every library agrees on every signature.
    @Test(arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",  // order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  // identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // order 2
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  // order 8, sign bit set
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p, non-canonical
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p + 1, non-canonical
        "0100000000000000000000000000000000000000000000000000000000000080",  // x = 0 with sign bit
    ])
    func refusesWeakKeys(_ hex: String) {
        #expect(throws: CairnError.self) { try VerifierKey(name: "x.example", type: .ed25519, publicKey: Hex.decode(hex)!) }
    }

    @Test func signedNoteCosignature() throws {
        let log = try SigningKey(name: "bank-a.example", seed: seed)
        let witness = try SigningKey(name: "auditor-1.example", type: .cosignature, seed: [UInt8](repeating: 9, count: 32))
        var note = SignedNote(text: "origin.example/log\n5\n\(Merkle.emptyRoot.base64)\n")
        note.sign(with: log)
        note.cosign(with: witness, timestamp: 1_700_000_000)
        let parsed = try SignedNote(parsing: note.encoded)
        let (verified, invalid) = parsed.verify(keys: [log.verifierKey, witness.verifierKey])
        #expect(invalid.isEmpty)
        #expect(verified.map(\.name) == ["bank-a.example", "auditor-1.example"])
        // A cosignature under a different timestamp does not verify.
        var blob = parsed.signatures[1].blob
        blob[11] ^= 1
        let tampered = SignedNote(text: parsed.text, signatures: [parsed.signatures[0], .init(name: witness.name, blob: blob)])
        #expect(tampered.verify(keys: [witness.verifierKey]).invalid.count == 1)
    }
}

@Suite struct EncodingTests {
    @Test func base64IsStrict() {
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(Base64.decode("aGVsbG8") == nil)  // missing padding
        #expect(Base64.decode("aGVsbG9=") == nil)  // non-zero trailing bits
        #expect(Base64.decode("aGVs bG8=") == nil)
        #expect(Base64.decode("aGVs\nbG8=") == nil)
        #expect(Base64.decode("a=VsbG8=") == nil)
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + n) & 0xff) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test func hexIsLowercase() {
        #expect(Hex.encode([0xde, 0xad]) == "dead")
        #expect(Hex.decode("DEAD") == nil)
        #expect(Hex.decode("dea") == nil)
    }

    @Test func timestamps() {
        let t = Timestamp(rfc3339: "2026-11-22T21:57:55Z")!
        #expect(t.description == "2026-11-22T21:57:55Z")
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")!.seconds == 0)
        #expect(Timestamp(rfc3339: "2024-02-29T12:00:00.123Z")!.description == "2024-02-29T12:00:00Z")
        #expect(Timestamp(rfc3339: "2023-02-29T12:00:00Z") == nil)
        #expect(Timestamp(rfc3339: "2026-11-22T21:57:55+01:00") == nil)
        #expect(Timestamp(rfc3339: "2026-11-22 21:57:55Z") == nil)
        #expect(Timestamp(rfc3339: "2026-13-01T00:00:00Z") == nil)
        for s: Int64 in [0, 86_399, 951_782_400, 4_102_444_800, 253_402_300_799] {
            #expect(Timestamp(rfc3339: Timestamp(seconds: s).description)?.seconds == s)
        }
    }

    @Test func amounts() {
        #expect(Amount.parse("1250.00", minorDigits: 2) == 125_000)
        #expect(Amount.parse("0.05", minorDigits: 2) == 5)
        #expect(Amount.parse("500", minorDigits: 0) == 500)
        for bad in ["1250.0", "1250", "1250.000", "01.00", "-1.00", "+1.00", "1,00", " 1.00", "1.0a", ".50", "92233720368547758.08"] {
            #expect(Amount.parse(bad, minorDigits: 2) == nil, "\(bad)")
        }
        #expect(Amount.parse("500.0", minorDigits: 0) == nil)
        #expect(Amount.parse("92233720368547758.07", minorDigits: 2) == Int64.max)
        #expect(Amount.format(125_000, minorDigits: 2) == "1250.00")
        #expect(Amount.format(5, minorDigits: 2) == "0.05")
        #expect(Amount.format(-5, minorDigits: 2) == "-0.05")
        #expect(Amount.format(Int64.min, minorDigits: 2) == "-92233720368547758.08")
        #expect(Amount.format(500, minorDigits: 0) == "500")
    }
}

@Suite struct PolicyTests {
    let roles: @Sendable (String) -> [String] = { $0 == "validator" ? ["v1", "v2", "v3"] : $0 == "issuer" ? ["central"] : [] }

    @Test func parsesAndEvaluates() throws {
        let ctx = Policy.Context(roleMembers: roles, payer: "a", payee: "b")
        let transfer = try Policy(parsing: "all(payer, payee)").resolved(in: ctx)
        #expect(transfer.isSatisfied(by: ["a", "b"]))
        #expect(!transfer.isSatisfied(by: ["a"]))
        #expect(transfer.missing(given: ["a"]) == "all(sig(b))")
        #expect(transfer.allows("a") && transfer.allows("b") && !transfer.allows("c"))
        let two = try Policy(parsing: "thresh(2, role(validator))").resolved(in: ctx)
        #expect(two.isSatisfied(by: ["v1", "v3"]))
        #expect(!two.isSatisfied(by: ["v1", "a"]))
        let issuer = try Policy(parsing: "role(issuer)").resolved(in: ctx)
        #expect(issuer.isSatisfied(by: ["central"]))
        let nested = try Policy(parsing: " any( sig(x.example) , all(payer, thresh(1, role(validator))))").resolved(in: ctx)
        #expect(nested.isSatisfied(by: ["a", "v2"]))
        #expect(nested.isSatisfied(by: ["x.example"]))
    }

    @Test(arguments: ["", "sig()", "all(", "thresh(0, payer)", "thresh(x, payer)", "foo(a)", "all(payer) extra", "payer,"])
    func refusesMalformed(_ text: String) {
        #expect(throws: CairnError.self) { try Policy(parsing: text) }
    }

    @Test func errorsNameTheColumn() {
        #expect(throws: CairnError(.invalidPolicy, "column 5: unknown policy term \"bogus\"")) { try Policy(parsing: "all(bogus)") }
    }
}
