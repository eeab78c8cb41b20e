import CairnCore
import Foundation
import Testing

/// Public vectors from Tests/Vectors (copied from ../shared/vectors; see Tests/Vectors/README.md),
/// one generic runner per kind. The Merkle runner lives in Merkle/VectorTests.swift.
@Suite struct SignedNoteVectors {
    struct Case: Decodable {
        var desc: String
        var vkeys: [String]?
        var note: String?
        var wantVerifiedBy: [String]?
        var wantErr: Bool?
        var skey: String?
        var wantVkey: String?
    }

    static let cases: [Case] = {
        let url = vectorsDirectory().appendingPathComponent("signed-note/vectors.json")
        struct File: Decodable { var cases: [Case] }
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }()

    @Test(arguments: cases.filter { $0.note != nil })
    func note(_ c: Case) throws {
        let keys = try c.vkeys!.map { try VerifierKey(parsing: $0) }
        let note = try SignedNote(parsing: c.note!)
        let (verified, invalid) = note.verify(keys: keys)
        if c.wantErr == true {
            #expect(!invalid.isEmpty, "\(c.desc): a known key's bad signature must be reported")
        } else {
            #expect(invalid.isEmpty, "\(c.desc)")
        }
        #expect(verified.map(\.name).sorted() == (c.wantVerifiedBy ?? []).sorted(), "\(c.desc)")
        #expect(note.encoded == c.note!, "\(c.desc): re-encoding gives the same bytes")
    }

    @Test func privateKey() throws {
        let c = Self.cases.first { $0.skey != nil }!
        let key = try SigningKey(parsing: c.skey!)
        #expect(key.verifierKey.description == c.wantVkey)
        #expect(key.encoded == c.skey! + "\n")
        // Re-signing the two-signer text reproduces the vector's signature line.
        let twoSigners = Self.cases.first { $0.desc == "two signers" }!.note!
        var note = SignedNote(text: try SignedNote(parsing: twoSigners).text)
        note.sign(with: key)
        #expect(twoSigners.contains(note.signatures[0].line))
    }
}

@Suite struct Ed25519Vectors {
    struct File: Decodable {
        struct Group: Decodable {
            struct Key: Decodable { var pk: String }
            struct Test: Decodable, CustomTestStringConvertible {
                var tcId: Int
                var comment: String
                var msg: String
                var sig: String
                var result: String
                var testDescription: String { "tcId \(tcId) \(comment)" }
            }
            var publicKey: Key
            var tests: [Test]
        }
        var testGroups: [Group]
    }

    static let groups: [File.Group] = {
        let url = vectorsDirectory().appendingPathComponent("ed25519/wycheproof_ed25519_test.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).testGroups
    }()

    /// Every Wycheproof case gives its expected verdict through `VerifierKey`, the same code
    /// that checks notice signatures. A key Cairn refuses (small order, non-canonical) verifies nothing.
    @Test func wycheproof() throws {
        var checked = 0
        for group in Self.groups {
            let key = try? VerifierKey(name: "wycheproof", type: .ed25519, publicKey: Hex.decode(group.publicKey.pk)!)
            for t in group.tests {
                let valid = key?.isValidSignature(Hex.decode(t.sig) ?? [], for: Hex.decode(t.msg) ?? []) ?? false
                #expect(valid == (t.result == "valid"), "tcId \(t.tcId): \(t.comment)")
                checked += 1
            }
        }
        #expect(checked == 151)
    }
}
