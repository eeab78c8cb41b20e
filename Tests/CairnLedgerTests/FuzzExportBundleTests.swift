import CairnCore
import CairnFuzzSupport
import CairnLedger
import Testing

/// A seeded fuzz of the export bundle reader (`cairn verify-export` up to the export file): one file
/// of a valid bundle is mutated per iteration, byte-wise, line-wise or as JSON, or edited the way a
/// dishonest exporter would (a genuine block line appended, a proof or checkpoint of another
/// block, the manifest's heights, sizes or time window moved, a file dropped). Nothing may crash,
/// and a mutant that verifies proves what the original proves: the same manifest, the same sealed
/// headers, the same end checkpoint and the same proven leaves. The one edit that may verify with
/// another manifest is a time bound moved within the gap between the exported blocks and their
/// neighbours: that window selects the same blocks, and the bundle proves it as well. (`export`
/// and `account` are checked by the CLI against the export file, which this reader does not read;
/// they are not mutated here.)
@Suite struct FuzzExportBundleTests {
    static let iterations = 600

    static let tokens: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\n", " ", "0", "1", "9", "-", "+", "/", "=", "A", "a"].map {
        Array($0.utf8)
    }

    struct NotFound: Error {}

    static func verify(_ files: [String: [UInt8]], genesis: Genesis) throws -> ProvenBundle {
        try ExportBundleReader(bundle: "bundle", genesis: genesis) { path in
            guard let bytes = files[path] else { throw CairnError(.notFound, "couldn't read bundle/\(path): no such file") }
            return bytes
        }.verify()
    }

    /// The files of `files` that differ from `original`, for a failure message.
    static func changes(_ files: [String: [UInt8]], from original: [String: [UInt8]]) -> String {
        var out: [String] = []
        for path in Set(files.keys).union(original.keys).sorted() where files[path] != original[path] {
            let text: String = files[path].map { String(decoding: $0.prefix(2_000), as: UTF8.self).debugDescription } ?? "dropped"
            out.append("\(path): \(text)")
        }
        return out.joined(separator: "; ")
    }

    @Test func mutantsThatVerifyProveTheSameExport() throws {
        let seed = Fuzz.seed(0xb0d1_0001)
        print("FuzzExportBundleTests: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        let f = ChainFixture.shared
        let b = f.blocks.map(\.header)
        let bundles = [
            try f.bundle(from: 2, to: 4, fromTime: b[1].time.adding(seconds: 1), toTime: b[4].time.adding(seconds: 1)),
            try f.bundle(from: 1, to: 3, account: "bank-b.example/eur"),
            try f.bundle(from: 5, to: 6, fromTime: b[5].time),
        ]
        let proven = try bundles.map { try Self.verify($0, genesis: f.genesis) }
        var accepted = 0
        var windows = 0
        for i in 0..<Self.iterations {
            let which = rng.below(bundles.count)
            let original = bundles[which]
            let want = proven[which]
            var files = original
            let file = rng.pick(original.keys.sorted())
            let m = want.manifest
            var edit = file
            switch rng.below(6) {
            case 0, 1: files[file] = Fuzz.mutate(original[file]!, tokens: Self.tokens, &rng)
            case 2: files[file] = Fuzz.mutateLines(original[file]!, &rng)
            case 3 where file.hasSuffix(".json") || file.hasSuffix(".jsonl"):
                var lines = Fuzz.lines(original[file]!)
                let l = rng.below(lines.count)
                let tree = Fuzz.mutateTree(try JSON.parse(lines[l]), &rng)
                lines[l] = Fuzz.write(tree) + [0x0a]
                files[file] = lines.flatMap { $0 }
            default:
                switch rng.below(7) {
                case 0:
                    // A genuine block line appended, or one past the range put in.
                    edit = "blocks.jsonl: a genuine block added"
                    let extra = f.blocks[min(Int(m.toHeight) + 1 + rng.below(2), f.blocks.count - 1)]
                    files["blocks.jsonl"]! += extra.bundleLine
                case 1:
                    edit = "a proof of another leaf or block"
                    let height = 4 + rng.below(3)
                    let index = UInt64(rng.below(Int(b[height].logSize)))
                    let target = "proofs/\(m.startSize + UInt64(rng.below(Int(m.endSize - m.startSize)))).tlog-proof"
                    files[target] = Array(try f.proof(index, at: height).encoded.utf8)
                case 2:
                    edit = "a checkpoint of another block"
                    files[rng.chance(2) ? "start.checkpoint" : "end.checkpoint"] = Array(
                        f.blocks[rng.below(f.blocks.count)].checkpoint.utf8)
                case 3:
                    edit = "a file dropped"
                    files[file] = nil
                default:
                    edit = "manifest.json: a height, size or time moved"
                    var n = m
                    let shift = Int64(rng.below(3)) - 1
                    switch rng.below(6) {
                    case 0: n.fromHeight = UInt64(max(0, Int64(n.fromHeight) + shift))
                    case 1: n.toHeight = UInt64(max(0, Int64(n.toHeight) + shift))
                    case 2: n.startSize = UInt64(max(0, Int64(n.startSize) + shift))
                    case 3: n.endSize = UInt64(max(0, Int64(n.endSize) + shift))
                    case 4: n.fromTime = (n.fromTime ?? b[Int(n.fromHeight)].time).adding(seconds: Int64(rng.below(1_201)) - 600)
                    default: n.toTime = (n.toTime ?? b[Int(n.toHeight)].time).adding(seconds: Int64(rng.below(1_201)) - 600)
                    }
                    files["manifest.json"] = n.encoded
                }
            }
            guard files != original else { continue }
            let context = { "seed \(seed), iteration \(i), bundle \(which), \(edit): \(Self.changes(files, from: original))" }
            let got: ProvenBundle
            do { got = try Self.verify(files, genesis: f.genesis) } catch { continue }
            accepted += 1
            #expect(got.headers == want.headers, "other headers verified: \(context())")
            #expect(got.endCheckpoint == want.endCheckpoint, "another end checkpoint verified: \(context())")
            #expect(got.leaves.map(\.proof) == want.leaves.map(\.proof), "other leaves verified: \(context())")
            var manifest = got.manifest
            if manifest != want.manifest {
                windows += 1
                // Only a time bound may move, and only so that it selects the same blocks.
                manifest.fromTime = want.manifest.fromTime
                manifest.toTime = want.manifest.toTime
                #expect(manifest == want.manifest, "another manifest verified: \(context())")
                let (from, to) = (Int(got.manifest.fromHeight), Int(got.manifest.toHeight))
                if let t = got.manifest.fromTime {
                    #expect(b[from...to].allSatisfy { $0.time >= t } && (from == 1 || b[from - 1].time < t), "\(context())")
                }
                if let t = got.manifest.toTime {
                    #expect(b[from...to].allSatisfy { $0.time <= t } && (to + 1 >= b.count || b[to + 1].time > t), "\(context())")
                }
            }
        }
        print(
            "FuzzExportBundleTests: \(accepted) mutants verified, each proving the same export; \(windows) with a time bound moved in its gap"
        )
    }

    /// Found by the fuzz above: a genuine block after block toHeight+1 was accepted, and the time
    /// window's end was then judged by that block. An exporter could leave out block toHeight+1,
    /// inside the window, by appending the block after it.
    @Test func aBlockPastTheNextCannotStandInForIt() throws {
        let f = ChainFixture.shared
        var files = try f.bundle(from: 2, to: 4, toTime: f.blocks[5].header.time)
        #expect(throws: CairnError(.invalidProof, "bundle: block 5 is inside the time window but not exported")) {
            try Self.verify(files, genesis: f.genesis)
        }
        files["blocks.jsonl"]! += f.blocks[6].bundleLine
        #expect(throws: CairnError(.invalidProof, "bundle: blocks.jsonl line 6 holds block 6, past block 5")) {
            try Self.verify(files, genesis: f.genesis)
        }
    }

    /// Found by the balance proof fuzz: a seal repeated was accepted. It counts for nothing, and is refused.
    @Test func aSecondSealByOneValidatorIsRefused() throws {
        let f = ChainFixture.shared
        var files = try f.bundle(from: 2, to: 4)
        var lines = Fuzz.lines(files["blocks.jsonl"]!)
        guard case .object(var line) = try JSON.parse(lines[1]), case .array(let seals) = line["seals"] else { return }
        line["seals"] = .array(seals + seals)
        lines[1] = Fuzz.write(.object(line)) + [0x0a]
        files["blocks.jsonl"] = lines.flatMap { $0 }
        #expect(throws: CairnError(.invalidProof, "bundle: blocks.jsonl line 2: block 2 has a second seal by bank-a.example")) {
            try Self.verify(files, genesis: f.genesis)
        }
        var proof = try JSON.parse(f.balanceProof("bank-a.example/eur", at: 4)).objectValue!
        proof["seals"] = .array(proof["seals"]!.arrayValue! + proof["seals"]!.arrayValue!)
        let verdict = try BalanceProof(parsing: JSON.canonical(.object(proof))).verify(genesis: f.genesis)
        #expect(throws: CairnError(.invalidProof, "block 4 has a second seal by bank-a.example")) { try verdict.get() }
    }
}
