import CairnCore
import CairnFuzzSupport
import CairnLedger
import Testing

/// A seeded fuzz of the balance proof parser and its offline verifier: byte mutations and
/// structure-aware ones (fields deleted, duplicated, swapped or given odd values; seals
/// duplicated or dropped; the entry's balance, account or currency changed; the index, size or
/// path edited). Nothing may crash, and a mutant that verifies proves what the original proves:
/// the same entry under the same sealed header, with the same seals and proof hashes. Its bytes
/// may differ only where that meaning does not: JSON whitespace and member order (the header and
/// entry are checked in canonical form), and `index` and `size`, which an RFC 9162 path does not
/// bind (leaf 0 of 5 and of 8 take the same three steps to the root).
@Suite struct FuzzBalanceProofTests {
    static let iterations = 1_500

    static let tokens: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "0", "1", "9", "-", ".", "e", "A", "/", "+", "=", " "].map {
        Array($0.utf8)
    }

    /// What a verified balance proof says: the proven entry, the header and the seals, canonical.
    static func meaning(_ proof: BalanceProof) -> [UInt8] {
        var o = JSONObject()
        o["header"] = proof.header.json
        o["seals"] = .array(proof.seals.map(\.json))
        o["entry"] = .string(String(decoding: proof.entry, as: UTF8.self))
        return JSON.canonical(.object(o))
    }

    @Test func mutantsThatVerifyProveTheSameBalance() throws {
        let seed = Fuzz.seed(0xba1_0001)
        print("FuzzBalanceProofTests: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        let f = ChainFixture.shared
        let originals = [
            f.balanceProof("bank-a.example/eur", at: 4), f.balanceProof("bank-b.example/eur", at: 2),
            f.balanceProof("central.example/eur", at: 6),
        ]
        var accepted = 0
        var reshaped = 0
        let parsedOriginals = try originals.map { try BalanceProof(parsing: $0) }
        let wants = try parsedOriginals.map { try $0.verify(genesis: f.genesis).get() }
        for i in 0..<Self.iterations {
            let which = rng.below(originals.count)
            let (original, parsedOriginal, want) = (originals[which], parsedOriginals[which], wants[which])
            let bytes: [UInt8]
            switch rng.below(3) {
            case 0: bytes = Fuzz.mutate(original, tokens: Self.tokens, &rng)
            case 1: bytes = Fuzz.write(Fuzz.mutateTree(try JSON.parse(original), &rng))
            default:
                // The fields the verifier computes with: index, size and the path.
                guard case .object(var o) = try JSON.parse(original) else { continue }
                switch rng.below(5) {
                case 0: o["index"] = .number(Double(parsedOriginal.index) + Double(rng.below(9)) - 4)
                case 1: o["size"] = .number(Double(parsedOriginal.size) + Double(rng.below(9)) - 4)
                case 2: o["size"] = .number(Double(rng.below(1 << 20)))
                case 3:
                    var path = o["proof"]!.arrayValue!
                    if !path.isEmpty { path.remove(at: rng.below(path.count)) }
                    o["proof"] = .array(path + (rng.chance(2) ? [] : [.string(Merkle.emptyRoot.base64)]))
                default:
                    var entry = o["entry"]!.objectValue!
                    entry["balance"] = .string(rng.pick(["0.00", "-1.00", "89.01", "1e2", "99999999999999999999.00"]))
                    o["entry"] = .object(entry)
                }
                bytes = JSON.canonical(.object(o))
            }
            guard bytes != original else { continue }
            let context = { "seed \(seed), iteration \(i): \(String(decoding: bytes.prefix(3_000), as: UTF8.self).debugDescription)" }
            let parsed: BalanceProof
            do { parsed = try BalanceProof(parsing: bytes) } catch { continue }
            guard case .success(let got) = parsed.verify(genesis: f.genesis) else { continue }
            accepted += 1
            #expect(got == want, "another balance verified: \(context())")
            #expect(Self.meaning(parsed) == Self.meaning(parsedOriginal), "accepted with another meaning: \(context())")
            if parsed.index != parsedOriginal.index || parsed.size != parsedOriginal.size {
                // The RFC 9162 path does not bind its position: one path verifies at several
                // (index, size) pairs. The same hashes must still lead the same entry to the root.
                reshaped += 1
                #expect(parsed.proof == parsedOriginal.proof, "another path verified: \(context())")
            } else {
                #expect(JSON.canonical(parsed.json) == JSON.canonical(parsedOriginal.json), "\(context())")
            }
        }
        print("FuzzBalanceProofTests: \(accepted) mutants verified, each the same balance; \(reshaped) with another index or size")
    }
}
