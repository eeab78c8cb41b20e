import CairnCore
import CairnFuzzSupport
import Foundation
import Testing

/// A seeded mutation fuzz of the signed note, checkpoint, tlog-proof and consistency-proof parsers
/// and verifiers (age's malleability test, in the small). Each iteration applies one to three
/// random edits to a valid artifact: flip a bit, replace, insert or delete bytes, delete, duplicate
/// or swap lines, truncate. Nothing may crash, and:
///
/// 1. A mutant is *accepted* when it parses and verifies with all three fixture keys (two
///    validators, one witness) signing. An accepted mutant must mean what the original means: the
///    same signed text, the same signature lines of those keys, the same proof lines. The only
///    change the specs allow is the order of the signature lines, which the signatures do not
///    cover and c2sp.org/signed-note does not fix; re-encoding an accepted mutant gives its bytes.
/// 2. Any mutant that opens with at least one known key verified has the original text, and each
///    verified key's line is one of the original lines: a mutation can turn a known key's line into
///    an unknown key's line, which the spec requires verifiers to ignore, but never forge one.
///
/// The seed is printed; set CAIRN_FUZZ_SEED to replay a run.
@Suite struct FuzzNotesTests {
    static let iterations = 2_000

    static var seed: UInt64 { Fuzz.seed(0x00ca_191f_0221_2026) }

    /// Bytes that matter to these formats, so mutations hit the grammar and not only the base64.
    static let interesting: [UInt8] = Array("\n \u{2014}+-=/0123456789aAfF".utf8) + [0x00, 0x0d, 0x09, 0x7f, 0xff]

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0...rng.below(3) {
            guard !b.isEmpty else { break }
            switch rng.below(9) {
            case 0: b[rng.below(b.count)] ^= UInt8(1) << UInt8(rng.below(8))
            case 1: b[rng.below(b.count)] = interesting[rng.below(interesting.count)]
            case 2: b.insert(interesting[rng.below(interesting.count)], at: rng.below(b.count + 1))
            case 3:
                b.insert(contentsOf: (0..<1 + rng.below(4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: rng.below(b.count + 1))
            case 4:
                let start = rng.below(b.count)
                b.removeSubrange(start..<min(b.count, start + 1 + rng.below(4)))
            case 5: b = Array(b.prefix(rng.below(b.count)))
            default:
                var l = Fuzz.lines(b)
                let i = rng.below(l.count)
                let j = rng.below(l.count)
                switch rng.below(3) {
                case 0: l.remove(at: i)
                case 1: l.insert(l[i], at: j)
                default: l.swapAt(i, j)
                }
                b = l.flatMap { $0 }
            }
        }
        return b
    }

    /// What a verified artifact means: its signed text, the known keys' signature lines (in any
    /// order), and for proofs the lines before the checkpoint.
    static func meaning(_ kind: NoteFixture.Kind, _ text: String, _ note: SignedNote) -> [String] {
        let known = note.signatures.filter { s in NoteFixture.keys.contains { $0.name == s.name && $0.keyID == s.keyID } }
        var m = [note.text] + known.map(\.line).sorted()
        if kind == .proof || kind == .consistency {
            m.append(String(text.prefix(upTo: text.range(of: "\n\n")!.upperBound)))
        }
        return m
    }

    @Test(arguments: NoteFixture.Kind.allCases)
    func mutantsAreNeverAcceptedAsSomethingElse(_ kind: NoteFixture.Kind) throws {
        let original = NoteFixture.encoded(kind)
        let (originalNote, _) = try NoteFixture.check(kind, original)
        let originalMeaning = Self.meaning(kind, original, originalNote)
        let originalLines = Set(originalNote.signatures.map(\.line))
        var rng = SplitMix64(state: Self.seed ^ UInt64(kind.rawValue.utf8.count))
        print("FuzzNotesTests \(kind): seed \(Self.seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var accepted = 0
        var refused = 0
        for iteration in 0..<Self.iterations {
            // Invalid UTF-8 becomes U+FFFD, as a reader decoding a file would make it.
            let text = String(decoding: Self.mutate(Array(original.utf8), &rng), as: UTF8.self)
            guard text != original else { continue }
            let context = "\(kind), seed \(Self.seed), iteration \(iteration): \(text.debugDescription)"
            do {
                let (note, verified) = try NoteFixture.check(kind, text)
                if !verified.isEmpty {
                    #expect(note.text == originalNote.text, "a changed text verified: \(context)")
                    for key in verified {
                        let lines = note.signatures.filter { $0.name == key.name && $0.keyID == key.keyID }.map(\.line)
                        #expect(lines.allSatisfy(originalLines.contains), "a forged line verified: \(context)")
                    }
                }
                guard Set(verified) == Set(NoteFixture.keys) else {
                    refused += 1
                    continue
                }
                accepted += 1
                #expect(Self.meaning(kind, text, note) == originalMeaning, "accepted with another meaning: \(context)")
                let reencoded: String
                switch kind {
                case .note, .checkpoint: reencoded = note.encoded
                case .proof: reencoded = try TlogProof.parseMany(text).map(\.encoded).joined()
                case .consistency: reencoded = try ConsistencyProofFile(parsing: text).encoded
                }
                #expect(reencoded == text, "an accepted mutant has another encoding: \(context)")
            } catch {
                refused += 1
            }
        }
        print(
            "FuzzNotesTests \(kind): \(accepted) mutants accepted with the same meaning (signature lines reordered, or an unknown key's line added), \(refused) refused"
        )
    }
}
