import CairnCore
import Testing

/// A stored leaf is parsed only if it is exactly the canonical envelope it holds (DESIGN §1.3).
@Suite struct EnvelopeLeafTests {
    static func signed() throws -> Envelope {
        let a = try SigningKey(name: "bank-a.example", seed: [UInt8](repeating: 1, count: 32))
        let b = try SigningKey(name: "bank-b.example", seed: [UInt8](repeating: 2, count: 32))
        let body = JSONValue.object(
            JSONObject([
                ("kind", "transfer"), ("submitter", "bank-a.example"), ("from", "bank-a.example/eur"), ("to", "bank-b.example/eur"),
                ("amount", "1.00"), ("currency", "EUR"), ("refs", []), ("nonce", "n1"),
                ("createdAt", "2026-01-01T00:00:00Z"), ("expiresAt", "2026-01-02T00:00:00Z"),
            ]))
        var e = Envelope(notice: try Notice(body: body))
        e.sign(with: a)
        e.sign(with: b)
        return e
    }

    @Test func aCanonicalLeafRoundTrips() throws {
        let e = try Self.signed()
        let parsed = try Envelope(leaf: e.leaf)
        #expect(parsed.leaf == e.leaf)
        #expect(parsed.notice.id == e.notice.id)
        #expect(parsed.signatures.map(\.signer) == ["bank-a.example", "bank-b.example"])
    }

    /// The leaf is written directly, not through `JSON.canonical`; both must agree, for any
    /// signer name (quotes, backslashes, controls and non-ASCII are escaped as RFC 8785 says).
    /// Both write signatures with `Base64.encode`, which is checked on its own against RFC 4648's
    /// vectors for every length of remainder.
    @Test func theLeafIsTheCanonicalEnvelope() throws {
        var e = try Self.signed()
        #expect(e.leaf == JSON.canonical(e.json))
        for (name, keyID) in [("a\"b\\c\u{01}\n", UInt32(0)), ("bänk-€.example", 0xfedc_ba98), ("z", 0x0102_0304)] {
            e.add(NoticeSignature(signer: name, keyID: keyID, sig: (0..<64).map { UInt8($0 * 7 % 256) }))
        }
        #expect(e.signatures.count == 5)
        #expect(e.leaf == JSON.canonical(e.json))
        for count in [0, 1, 2, 3, 4, 5, 64] {
            let bytes = (0..<count).map { UInt8(255 - $0) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        for (text, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")] {
            #expect(Base64.encode(Array(text.utf8)) == encoded, "\(text)")
        }
    }

    /// `bytes` are refused as a leaf with `code` and a message containing `text`.
    static func expectRefused(_ bytes: [UInt8], _ code: CairnError.Code, _ text: String) {
        do {
            _ = try Envelope(leaf: bytes)
            Issue.record("the leaf parsed")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(text), "\(error.message)")
        }
    }

    @Test func aNonCanonicalLeafNamesItsFirstWrongByte() throws {
        var bytes = try Self.signed().leaf
        bytes.insert(UInt8(ascii: " "), at: 1)
        Self.expectRefused(bytes, .malformedJSON, "not in canonical form: first difference at byte offset 1")
    }

    @Test func aLeafWithUnsortedMembersIsNotCanonical() throws {
        let e = try Self.signed()
        // Valid JSON holding the same envelope, with `signatures` before `notice`.
        let sigs = JSON.canonical(.array(e.signatures.map(\.json)))
        let bytes = Array("{\"signatures\":".utf8) + sigs + Array(",\"notice\":".utf8) + e.notice.canonicalBody + [UInt8(ascii: "}")]
        Self.expectRefused(bytes, .malformedJSON, "first difference at byte offset 2")
    }

    @Test func aLeafWithUnsortedSignaturesIsRefused() throws {
        let e = try Self.signed()
        let sigs = JSON.canonical(.array(e.signatures.reversed().map(\.json)))
        let bytes = Array("{\"notice\":".utf8) + e.notice.canonicalBody + Array(",\"signatures\":".utf8) + sigs + [UInt8(ascii: "}")]
        Self.expectRefused(bytes, .invalidField, "not sorted by signer")
    }
}

/// `FieldReader` keeps which members it read as bits for the first 64 and in an array beyond, and
/// writes an element's path out only for an error.
@Suite struct FieldReaderTests {
    static func object(_ count: Int) -> JSONValue {
        .object(JSONObject((0..<count).map { (key: "f\($0)", value: JSONValue.string("v")) }))
    }

    @Test(arguments: [1, 63, 64, 65, 130])
    func anUnreadFieldIsNamedWhereverItIs(count: Int) throws {
        for skipped in Set([0, count / 2, 63, 64, count - 1]) where skipped < count {
            var r = try FieldReader(Self.object(count), path: "$.list", element: 3)
            for i in 0..<count where i != skipped { _ = try r.string("f\(i)") }
            #expect(throws: CairnError(.invalidField, "$.list[3].f\(skipped): unknown field")) { try r.finish() }
            _ = try r.string("f\(skipped)")
            try r.finish()
        }
    }

    @Test func aSignatureOfTheEnvelopeIsNamedByItsPlace() throws {
        let e = try EnvelopeLeafTests.signed()
        var sigs = e.signatures.map(\.json)
        sigs[1] = .object(JSONObject([("keyId", "zz"), ("sig", ""), ("signer", "bank-b.example")]))
        let json = JSONValue.object(JSONObject([("notice", e.notice.body), ("signatures", .array(sigs))]))
        #expect(throws: CairnError(.invalidField, "$.signatures[1].keyId: \"zz\" is not 8 lowercase hex digits")) {
            try Envelope(json: json)
        }
        #expect(throws: CairnError(.invalidField, "$.signatures[0]: expected an object")) {
            try Envelope(json: .object(JSONObject([("notice", e.notice.body), ("signatures", .array(["x"]))])))
        }
    }
}
