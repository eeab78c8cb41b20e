import CairnCore
import Foundation
import Testing

/// Commands that write files leave either the whole result or nothing: an empty selection, a
/// failure half way and a refused destination leave no file, no partial bundle and no temporary.
@Suite(.serialized) struct AtomicWriteTests {
    static let formats = ["jsonl", "csv", "camt.053", "camt.054"]

    /// What a command left in `dir`: its entries, temporaries (`.<name>.<random>.tmp`) included.
    static func entries(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    @Test func anEmptySelectionIsAnErrorAndWritesNothing() throws {
        let c = try IntegrityTests.chain()
        let out = c.dir.appendingPathComponent("exports").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let selections: [(String, [String])] = [
            ("a time after the last block", ["--from-time", "2999-01-01T00:00:00Z"]),
            ("a time before the first block", ["--to-time", "2000-01-01T00:00:00Z"]),
            ("a height above the head", ["--from-height", "4"]),
            (
                "heights whose blocks are all outside the time window",
                ["--from-height", "2", "--to-height", "3", "--to-time", "2000-01-01T00:00:00Z"]
            ),
        ]
        for format in Self.formats {
            for proofs in [false, true] {
                for (what, options) in selections {
                    let path = out + "/e-\(format)\(proofs ? "-bundle" : "")"
                    let r = try cairn(
                        ["export", "--data", c.data, "--format", format, "--out", path] + options + (proofs ? ["--with-proofs"] : []))
                    #expect(r.status == 1 && r.err.hasPrefix("cairn: empty_selection: no block to export"), "\(format) \(what): \(r)")
                    #expect(r.err.contains("its last is block 3") && r.err.contains("nothing was written"), "\(r)")
                    let left = try Self.entries(out)
                    #expect(left == [], "\(format) \(what) left \(left)")
                }
            }
        }
        // --json reports it as every error is reported.
        let json = try cairn(
            "export", "--data", c.data, "--format", "jsonl", "--from-time", "2999-01-01T00:00:00Z", "--out", out + "/x", "--json")
        #expect(json.json["error"]?.objectValue?["code"]?.stringValue == "empty_selection", "\(json)")
        // A ledger with only block 0 has nothing to export either.
        let fresh = try Consortium()
        let r = try cairn("export", "--data", fresh.data, "--format", "csv", "--out", out + "/fresh.csv")
        #expect(r.status == 1 && r.err.contains("empty_selection") && r.err.contains("its last is block 0"), "\(r)")
        // An inverted range is the user's mistake, not an empty ledger.
        for options in [
            ["--from-height", "3", "--to-height", "2"], ["--from-time", "2026-02-01T00:00:00Z", "--to-time", "2026-01-01T00:00:00Z"],
        ] {
            let inverted = try cairn(["export", "--data", c.data, "--format", "jsonl", "--out", out + "/i.jsonl"] + options)
            #expect(inverted.status == 1 && inverted.err.hasPrefix("cairn: usage:") && inverted.err.contains("inverted"), "\(inverted)")
        }
        #expect(try Self.entries(out) == [])
        // A selection with blocks but no matching notice is an empty, valid export.
        let quiet = out + "/quiet.csv"
        let ok = try cairn("export", "--data", c.data, "--format", "csv", "--account", "bank-b.example/jpy", "--out", quiet)
        #expect(ok.status == 0, "\(ok)")
        #expect(try String(contentsOfFile: quiet, encoding: .utf8).components(separatedBy: "\r\n") == [CSVHeader.text, ""])
    }

    @Test func anExportThatFailsHalfWayLeavesNothing() throws {
        let c = try IntegrityTests.chain()
        // Leaf 3 (the second of block 2) is no longer an envelope: the ledger opens (the subtree
        // rows over leaves 0...3 vouch for the log), block 1 and leaf 2 export, then it fails.
        let db = c.data + "/ledger.sqlite"
        let tamper = try runProcess(
            "/usr/bin/env",
            ["sqlite3", db, "DROP TRIGGER leaves_no_update; UPDATE leaves SET leaf = CAST('not an envelope' AS BLOB) WHERE idx = 3;"])
        #expect(tamper.status == 0, "sqlite3: \(tamper)")
        let out = c.dir.appendingPathComponent("exports").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // An earlier export at the same path stays as it was.
        let previous = out + "/previous"
        try "an earlier export\n".write(toFile: previous, atomically: true, encoding: .utf8)
        for format in Self.formats {
            for proofs in [false, true] {
                let path = proofs ? out + "/bundle" : previous
                let r = try cairn(["export", "--data", c.data, "--format", format, "--out", path] + (proofs ? ["--with-proofs"] : []))
                #expect(r.status == 1 && r.err.hasPrefix("cairn: malformed_json:"), "\(format) \(proofs): \(r)")
                let left = try Self.entries(out)
                #expect(left == ["previous"], "\(format) \(proofs) left \(left)")
                #expect(try String(contentsOfFile: previous, encoding: .utf8) == "an earlier export\n")
            }
        }
        // Block 1 alone exports, replacing the earlier file whole.
        let r = try cairn("export", "--data", c.data, "--format", "jsonl", "--to-height", "1", "--out", previous)
        #expect(r.status == 0, "\(r)")
        #expect(try String(contentsOfFile: previous, encoding: .utf8).split(separator: "\n").count == 2)
        #expect(try Self.entries(out) == ["previous"])
    }

    @Test func aDestinationThatCannotBeWrittenLeavesNothing() throws {
        let c = try IntegrityTests.chain()
        let out = c.dir.appendingPathComponent("exports").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // Under a file, and in a directory that does not exist.
        try "a file\n".write(toFile: out + "/file", atomically: true, encoding: .utf8)
        for path in [out + "/file/x.jsonl", out + "/missing/x.jsonl"] {
            let r = try cairn("export", "--data", c.data, "--format", "jsonl", "--out", path)
            #expect(r.status == 1 && r.err.hasPrefix("cairn: storage: couldn't create"), "\(r)")
        }
        // A bundle never goes where something already is.
        try FileManager.default.createDirectory(atPath: out + "/bundle", withIntermediateDirectories: true)
        try "x".write(toFile: out + "/bundle/keep", atomically: true, encoding: .utf8)
        let b = try cairn("export", "--data", c.data, "--format", "jsonl", "--with-proofs", "--out", out + "/bundle")
        #expect(b.status == 1 && b.err.contains("exists"), "\(b)")
        #expect(try Self.entries(out) == ["bundle", "file"])
        #expect(try Self.entries(out + "/bundle") == ["keep"])
    }

    @Test func initAndDemoBuildTheirDirectoriesWhole() throws {
        let c = try Consortium()
        let made = try Self.entries(c.data)
        #expect(Set(["genesis.json", "ledger.sqlite", "ledger.sqlite-head", "validator.key"]).isSubset(of: made), "\(made)")
        #expect(made.allSatisfy { !$0.hasSuffix(".tmp") }, "\(made)")
        #expect(try Self.entries(c.dir.path).allSatisfy { !$0.hasSuffix(".tmp") })
        // A directory with something in it is refused and left as it was; an empty one is used.
        let busy = c.dir.appendingPathComponent("busy").path
        try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: true)
        try "notes\n".write(toFile: busy + "/notes.txt", atomically: true, encoding: .utf8)
        let r = try cairn("init", "--genesis", c.genesisPath, "--data", busy, "--key", c.key("bank-a.example"))
        #expect(r.status == 1 && r.err.contains("exists and is not empty"), "\(r)")
        #expect(try Self.entries(busy) == ["notes.txt"])
        let empty = c.dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try cairn("init", "--genesis", c.genesisPath, "--data", empty, "--key", c.key("bank-a.example")).status == 0)
        #expect(try cairn("verify", "--data", empty).status == 0)
        // A failed demo (a genesis whose keys are not the demo keys) leaves nothing behind.
        let demo = c.dir.appendingPathComponent("demo").path
        let d = try cairn("demo", "--dir", demo, "--genesis", c.genesisPath)
        #expect(d.status == 1 && d.err.contains("is not the demo key"), "\(d)")
        #expect(!FileManager.default.fileExists(atPath: demo))
        let left = try Self.entries(c.dir.path)
        #expect(left.allSatisfy { !$0.hasSuffix(".tmp") }, "\(left)")
    }
}

/// The CSV header row, as `cairn export --format csv` writes it.
enum CSVHeader {
    static let text = "id,height,leaf_index,time,kind,submitter,from,to,amount,currency,reference,refs,signers"
}
