import CairnCore
import CairnFuzzSupport
import Foundation
import Testing

/// A seeded fuzz of the genesis parser over `Genesis/demo.json`: byte mutations, and
/// structure-aware ones (members, keys, accounts and policies deleted, duplicated, swapped,
/// renamed, given another field's value, a huge number, a long string or deep nesting; unknown
/// fields added). Nothing may crash; a refusal names its JSON path (`$...`) or the line and column
/// of malformed JSON; a genesis that parses is the one its canonical bytes parse to (decode then
/// encode gives identical bytes, and the same hash).
@Suite struct FuzzGenesisTests {
    static let iterations = 1_500

    static let demo: [UInt8] = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return Array(try! Data(contentsOf: url.deletingLastPathComponent().appendingPathComponent("Genesis/demo.json")))
    }()

    static let tokens: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "0", "9", "-", "+", "/", ".", "(", ")", " ", "\u{e9}"].map {
        Array($0.utf8)
    }

    @Test func mutantsParseToTheirCanonicalFormOrNameAPath() throws {
        let seed = Fuzz.seed(0x6e_0001)
        print("FuzzGenesisTests: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        let original = try JSON.parse(Self.demo)
        let originalHash = try Genesis(bytes: Self.demo).hash
        var accepted = 0
        var refusals: [String: Int] = [:]
        for i in 0..<Self.iterations {
            let bytes: [UInt8]
            if rng.chance(4) {
                bytes = Fuzz.mutate(Self.demo, tokens: Self.tokens, &rng)
            } else {
                var v = original
                for _ in 0...rng.below(2) { v = Fuzz.mutateTree(v, &rng) }
                bytes = Fuzz.write(v)
            }
            let context = { "seed \(seed), iteration \(i): \(String(decoding: bytes.prefix(2_000), as: UTF8.self).debugDescription)" }
            let g: Genesis
            do throws(CairnError) {
                g = try Genesis(bytes: bytes)
            } catch {
                #expect(error.code == .invalidGenesis, "\(error) \(context())")
                let named = error.message.hasPrefix("$") || error.message.hasPrefix("malformed JSON: line ")
                #expect(named, "the error names no place: \(error) \(context())")
                refusals[String(error.message.prefix { $0 != ":" }), default: 0] += 1
                continue
            }
            accepted += 1
            #expect(g.canonicalBytes == JSON.canonical(try JSON.parse(bytes)), "\(context())")
            let again = try Genesis(bytes: g.canonicalBytes)
            #expect(again.canonicalBytes == g.canonicalBytes && again.hash == g.hash, "\(context())")
            // The hash commits to every byte of the canonical form: only an equal genesis has it.
            #expect((g.hash == originalHash) == (g.canonicalBytes == JSON.canonical(original)), "\(context())")
        }
        print("FuzzGenesisTests: \(accepted) accepted; refused at \(refusals.count) distinct places")
        #expect(accepted > 0 && accepted < Self.iterations)
    }
}
