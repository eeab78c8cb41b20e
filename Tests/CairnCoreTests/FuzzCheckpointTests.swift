import CairnCore
import CairnFuzzSupport
import Testing

/// A seeded fuzz of the checkpoint body parser on its own (`FuzzNotesTests` fuzzes it inside signed
/// notes and proofs, where the signature refuses any change). The body has one spelling: whatever
/// `Checkpoint(parsing:)` accepts is exactly the text it writes back, so a mutant that parses is
/// byte-identical to the checkpoint it parses to, and an edit that changes its meaning cannot hide
/// in an alternative spelling.
@Suite struct FuzzCheckpointTests {
    static let iterations = 4_000

    static let tokens: [[UInt8]] = [
        "\n", " ", "0", "1", "9", "+", "-", "=", "/", "a", "A", "f", "F", "cairn-block ", "cairn-block 1 ", "\u{2014} ", "\r", "\t",
        "18446744073709551615", "18446744073709551616", "\u{0}", "\u{7f}", "\u{e9}",
    ].map { Array($0.utf8) }

    @Test func acceptedBodiesAreTheirOwnEncoding() {
        let seed = Fuzz.seed(0xc4ec_0001)
        print("FuzzCheckpointTests: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        let original = NoteFixture.body()
        var accepted = 0
        for i in 0..<Self.iterations {
            let bytes =
                rng.chance(4) ? Fuzz.mutateLines(Array(original.utf8), &rng) : Fuzz.mutate(Array(original.utf8), tokens: Self.tokens, &rng)
            let text = String(decoding: bytes, as: UTF8.self)
            let context = { "seed \(seed), iteration \(i): \(text.debugDescription)" }
            do {
                let checkpoint = try Checkpoint(parsing: text)
                accepted += 1
                #expect(checkpoint.text == text, "accepted in another spelling: \(context())")
                #expect(checkpoint.block != nil, "\(context())")
                #expect(try Checkpoint(parsing: checkpoint.text) == checkpoint, "\(context())")
            } catch {
                #expect(error.code == .invalidNote, "\(context())")
            }
        }
        print("FuzzCheckpointTests: \(accepted) mutants parse, each to itself")
    }

    @Test func extremeFieldsParseOrAreRefusedByName() throws {
        let root = NoteFixture.note.text.split(separator: "\n")[2]
        let hash = String(repeating: "ab", count: 32)
        let cases: [(String, Bool)] = [
            ("o\n18446744073709551615\n\(root)\ncairn-block 18446744073709551615 \(hash)\n", true),
            ("o\n18446744073709551616\n\(root)\ncairn-block 1 \(hash)\n", false),
            ("o\n1\n\(root)\ncairn-block 18446744073709551616 \(hash)\n", false),
            ("o\n\(String(repeating: "9", count: 10_000))\n\(root)\ncairn-block 1 \(hash)\n", false),
            ("\(String(repeating: "o", count: 100_000))\n1\n\(root)\ncairn-block 1 \(hash)\n", true),
            ("o\n1\n\(root)\ncairn-block 1 \(hash)\n" + String(repeating: "cairn-block 1 \(hash)\n", count: 1000), false),
            ("o\n1\n\(root)\ncairn-block 1 \(hash.uppercased())\n", false),
            ("o\n1\n\(root)\n" + String(repeating: "x\n", count: 10_000) + "cairn-block 1 \(hash)\n", false),
        ]
        for (text, ok) in cases {
            let parsed = Result { () throws(CairnError) in try Checkpoint(parsing: text) }
            switch parsed {
            case .success(let c): #expect(ok && c.text == text, "\(text.prefix(120).debugDescription)")
            case .failure(let e): #expect(!ok && e.code == .invalidNote, "\(e.message.prefix(200))")
            }
        }
    }
}
