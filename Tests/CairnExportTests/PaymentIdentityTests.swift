import CairnCore
import Testing

@testable import CairnExport

/// The nonce of an imported payment: the vectors come from `Resources/gen_pacs008_nonces.py`,
/// which computes the derivation from the README's description with Python's hashlib.
@Suite struct PaymentIdentityTests {
    struct Vector {
        var desc: String
        var identity: PaymentIdentity
        var index: UInt32
        var want: String
    }

    static func vectors() throws -> [Vector] {
        let file = try #require(try JSON.parse(try XMLTest.resource("pacs008-nonce-vectors.json")).objectValue)
        #expect(file["tag"]?.stringValue == PaymentIdentity.nonceTag)
        return try #require(file["vectors"]?.arrayValue).map { v in
            let o = try #require(v.objectValue)
            let identity: PaymentIdentity =
                if let uetr = o["uetr"]?.stringValue {
                    .uetr(uetr)
                } else {
                    .endToEnd(id: try #require(o["endToEndId"]?.stringValue), agent: try #require(o["agent"]?.stringValue))
                }
            guard case .number(let index)? = o["index"] else { throw CairnError(.invalidField, "index") }
            return Vector(
                desc: try #require(o["desc"]?.stringValue), identity: identity, index: UInt32(index),
                want: try #require(o["want"]?.stringValue))
        }
    }

    @Test func derivationMatchesTheVectors() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count == 6)
        for v in vectors {
            #expect(v.identity.nonce(index: v.index) == v.want, "\(v.desc)")
        }
        // Distinct identities (and indices) give distinct nonces.
        #expect(Set(vectors.map(\.want)).count == vectors.count)
    }

    @Test func aNonceIsAValidNoticeNonce() throws {
        let nonce = PaymentIdentity.uetr("6f1c2d3e-4b5a-4c6d-8e7f-901234567890").nonce()
        #expect(nonce.utf8.count == 64 && Hex.decode(nonce) != nil)
        let body = JSONValue.object(
            JSONObject([
                ("kind", "transfer"), ("submitter", "bank-a.example"), ("from", "bank-a.example/eur"), ("to", "bank-b.example/eur"),
                ("amount", "1.00"), ("currency", "EUR"), ("refs", []), ("nonce", .string(nonce)),
                ("createdAt", "2025-03-14T00:00:00Z"), ("expiresAt", "2025-03-16T00:00:00Z"),
            ]))
        #expect(try Notice(body: body).nonce == nonce)
    }

    @Test func theUETRIsReadInItsCanonicalLowercase() {
        let lower = PaymentIdentity.uetr("6f1c2d3e-4b5a-4c6d-8e7f-901234567890")
        #expect(PaymentIdentity.uetr("6F1C2D3E-4B5A-4C6D-8E7F-901234567890").nonce() == lower.nonce())
        #expect(lower.nonce(index: 0) != lower.nonce(index: 1))
    }
}
