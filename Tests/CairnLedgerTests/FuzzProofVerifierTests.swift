import CairnCore
import CairnFuzzSupport
import CairnLedger
import Foundation
import Testing

/// A seeded fuzz of the offline proof check (`cairn verify-proof`): a Cairn tlog-proof, mutated
/// byte-wise, line-wise, and inside its leaf (the envelope's JSON edited and re-encoded into the
/// `extra` line), then parsed and verified against the genesis file with `ProofVerifier`.
/// Nothing may crash, and a mutant that verifies proves what the original proves: the same leaf
/// at the same index, under the same checkpoint text, signed by the same validators, with the
/// same proof hashes; and it is its own encoding.
@Suite struct FuzzProofVerifierTests {
    static let iterations = 1_000

    static let tokens: [[UInt8]] = ["\n", " ", "+", "/", "=", "0", "9", "A", "a", "extra ", "index ", "\u{2014} ", "\r", "\u{0}"].map {
        Array($0.utf8)
    }

    @Test func mutantsThatVerifyProveTheSameLeaf() throws {
        let seed = Fuzz.seed(0x7109_0001)
        print("FuzzProofVerifierTests: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        let f = ChainFixture.shared
        let originals = [try f.proof(2, at: 4), try f.proof(0, at: 6), try f.proof(3, at: 4)]
        var accepted = 0
        for i in 0..<Self.iterations {
            let proof = rng.pick(originals)
            let original = Array(proof.encoded.utf8)
            let want = try ProofVerifier.verify([proof], genesis: f.genesis).get()
            let bytes: [UInt8]
            switch rng.below(4) {
            case 0, 1: bytes = Fuzz.mutate(original, tokens: Self.tokens, &rng)
            case 2: bytes = Fuzz.mutateLines(original, &rng)
            default:
                // The leaf, edited as JSON (members kept in their order, repeated keys and all).
                var edited = proof
                edited.extra = Fuzz.write(Fuzz.mutateTree(try JSON.parse(proof.extra!), &rng))
                bytes = Array(edited.encoded.utf8)
            }
            guard bytes != original else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            let context = { "seed \(seed), iteration \(i): \(text.debugDescription)" }
            let proofs: [TlogProof]
            do { proofs = try TlogProof.parseMany(text) } catch { continue }
            guard case .success(let got) = ProofVerifier.verify(proofs, genesis: f.genesis) else { continue }
            accepted += 1
            #expect(proofs.count == 1, "\(context())")
            #expect(proofs.map(\.encoded).joined() == text, "an accepted mutant has another encoding: \(context())")
            #expect(proofs[0].extra == proof.extra && proofs[0].index == proof.index && proofs[0].hashes == proof.hashes, "\(context())")
            #expect(got.envelope.notice.id == want.envelope.notice.id && got.index == want.index, "\(context())")
            #expect(got.checkpoint == want.checkpoint && got.signers == want.signers, "\(context())")
        }
        print("FuzzProofVerifierTests: \(accepted) mutants verified, each proving the same leaf")
    }
}
