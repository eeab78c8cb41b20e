import CairnCore
import Foundation
import Testing

/// Exports as a compliance team uses them: every statement adds up and matches `cairn balance`.
@Suite(.serialized) struct ExportCLITests {
    /// Signed minor units of each `<Amt>` followed by its `<CdtDbtInd>`, in document order.
    static func amounts(_ xml: String) -> [Int64] {
        var out: [Int64] = []
        for part in xml.components(separatedBy: "<Amt Ccy=").dropFirst() {
            let value = part.split(separator: ">", maxSplits: 1)[1].prefix { $0 != "<" }
            let minor = Int64(value.replacingOccurrences(of: ".", with: ""))!
            let debit = part.components(separatedBy: "<CdtDbtInd>")[1].hasPrefix("DBIT")
            out.append(debit ? -minor : minor)
        }
        return out
    }

    @Test func statementsAddUpAndMatchTheLedger() throws {
        let c = try IntegrityTests.chain()
        // bank-b goes below zero on its credit line, so a statement has a DBIT balance.
        _ = try c.submit(
            try c.sign(try c.transfer("bank-b.example/eur", "bank-a.example/eur", "70.00"), by: "bank-a.example", "bank-b.example"))
        _ = try c.seal()
        for account in ["bank-a.example/eur", "bank-b.example/eur", "bank-c.example/eur"] {
            for (from, to) in [(1, 4), (2, 3), (3, 4)] {
                let out = c.dir.appendingPathComponent("s.xml").path
                let r = try cairn(
                    "export", "--data", c.data, "--format", "camt.053", "--account", account, "--from-height", String(from), "--to-height",
                    String(to), "--out", out)
                #expect(r.status == 0, "\(r)")
                let xml = try String(contentsOfFile: out, encoding: .utf8)
                let stmt = xml.components(separatedBy: "<Stmt>")[1]
                let balances = Self.amounts(stmt.components(separatedBy: "<TxsSummry>")[0])
                // The entry-level amount is the first in each <Ntry>; its transaction details repeat it.
                let entries = stmt.components(separatedBy: "<Ntry>").dropFirst().map { Self.amounts($0)[0] }
                #expect(balances.count == 2)
                #expect(balances[0] + entries.reduce(0, +) == balances[1], "\(account) \(from)...\(to)")
                let closing = try cairn("balance", "--data", c.data, account, "--height", String(to), "--json").json["balance"]!
                    .stringValue!
                #expect(Int64(closing.replacingOccurrences(of: ".", with: "")) == balances[1], "\(account) at \(to)")
            }
        }
        #expect(
            try String(contentsOfFile: c.dir.appendingPathComponent("s.xml").path, encoding: .utf8).contains("<CdtDbtInd>DBIT</CdtDbtInd>"))
    }

    @Test func jsonLinesAndCSVCoverEveryCommittedNotice() throws {
        let c = try IntegrityTests.chain()
        let jsonl = c.dir.appendingPathComponent("x.jsonl").path
        #expect(try cairn("export", "--data", c.data, "--format", "jsonl", "--out", jsonl).status == 0)
        let lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)
        for (i, line) in lines.enumerated() {
            let o = try JSON.parse(Array(line.utf8)).objectValue!
            #expect(o["leafIndex"]?.int64Value == Int64(i) && o["status"]?.stringValue == "committed")
            #expect(JSON.canonical(.object(o)) == Array(line.utf8), "each line is canonical JSON")
        }
        let csv = c.dir.appendingPathComponent("x.csv").path
        #expect(try cairn("export", "--data", c.data, "--format", "csv", "--account", "bank-c.example/eur", "--out", csv).status == 0)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows[0].hasPrefix("id,height,leaf_index,time,kind"))
        #expect(rows.count == 3, "bank-c receives once and pays once: \(rows)")
        let bad = try cairn("export", "--data", c.data, "--format", "csv", "--account", "nobody/eur", "--out", csv)
        #expect(bad.status == 1 && bad.err.hasPrefix("cairn: unknown_account: "))
    }
}

/// Balance proofs: an auditor checks one balance after one block with the genesis file alone.
@Suite(.serialized) struct BalanceProofCLITests {
    @Test func balanceProofsVerifyOfflineAndRefuseTampering() throws {
        let c = try IntegrityTests.chain()
        for (height, expected) in [(1, "300.00"), (2, "540.25"), (3, "540.25")] {
            let p = try cairn("prove-balance", "--data", c.data, "bank-b.example/eur", "--height", String(height))
            #expect(p.status == 0, "\(p)")
            let file = try c.file(p.out)
            let v = try cairn("verify-balance", "--genesis", c.genesisPath, file, "--json")
            #expect(v.status == 0 && v.json["balance"]?.stringValue == expected && v.json["height"]?.int64Value == Int64(height), "\(v)")
            #expect(
                try cairn("balance", "--data", c.data, "bank-b.example/eur", "--height", String(height), "--json").json["balance"]?
                    .stringValue == expected)
            // A changed balance, a changed header or a dropped seal is refused.
            for (from, to) in [
                ("\"balance\":\"\(expected)\"", "\"balance\":\"999.99\""), ("\"height\":\(height),", "\"height\":\(height + 1),"),
                ("\"seals\":[{", "\"seals\":[],\"x\":[{"),
            ] {
                let bad = try c.file(p.out.replacingOccurrences(of: from, with: to))
                let r = try cairn("verify-balance", "--genesis", c.genesisPath, bad)
                #expect(r.status == 1 && r.err.hasPrefix("cairn: "), "\(from) -> \(to): \(r)")
            }
            // Any other tree size is refused, including the sizes under which the same audit path
            // still reaches the root: the header's stateSize binds it.
            let size = try #require(p.out.firstMatch(of: /"size":(\d+)/).flatMap { Int($0.1) })
            #expect(p.out.contains("\"stateSize\":\(size),"), "the header binds the tree size")
            for other in Set([0, 1, 2, size - 1, size + 1, size + 2, 2 * size, 64]).subtracting([size]).sorted() {
                let bad = try c.file(p.out.replacingOccurrences(of: "\"size\":\(size)", with: "\"size\":\(other)"))
                let r = try cairn("verify-balance", "--genesis", c.genesisPath, bad)
                #expect(r.status == 1 && r.err.contains("size"), "size \(other) instead of \(size): \(r)")
            }
        }
    }
}

/// Export bundles: complete and correct exports, proven offline, and every kind of edit caught.
@Suite(.serialized) struct ExportBundleCLITests {
    @Test func bundlesVerifyAndEditsAreNamed() throws {
        let c = try IntegrityTests.chain()
        let bundle = c.dir.appendingPathComponent("bundle").path
        let r = try cairn("export", "--data", c.data, "--format", "jsonl", "--from-height", "2", "--with-proofs", "--out", bundle)
        #expect(r.status == 0, "\(r)")
        let ok = try cairn("verify-export", bundle, "--genesis", c.genesisPath, "--json")
        #expect(ok.status == 0 && ok.json["lines"]?.int64Value == 3, "\(ok)")
        // A filtered CSV bundle is proven complete for its filter.
        let csv = c.dir.appendingPathComponent("csv").path
        #expect(
            try cairn("export", "--data", c.data, "--format", "csv", "--account", "bank-c.example/eur", "--with-proofs", "--out", csv)
                .status == 0)
        #expect(try cairn("verify-export", csv, "--genesis", c.genesisPath).status == 0)

        let export = bundle + "/export.jsonl"
        let original = try String(contentsOfFile: export, encoding: .utf8)
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        func check(_ text: String, _ expected: String, _ what: String) throws {
            try text.write(toFile: export, atomically: true, encoding: .utf8)
            let v = try cairn("verify-export", bundle, "--genesis", c.genesisPath)
            #expect(v.status == 1 && v.err.contains(expected), "\(what): \(v.err)")
        }
        try check(original.replacingOccurrences(of: "\"height\":3", with: "\"height\":2"), "line 3 does not match", "edited height")
        try check(lines.dropFirst().map { $0 + "\n" }.joined(), "line 1 is out of place", "removed first line")
        try check((lines + [lines[1]]).map { $0 + "\n" }.joined(), "line 4 is extra", "duplicated line")
        try check(lines.dropLast().map { $0 + "\n" }.joined(), "lacks line 3 of 3", "removed last line")
        lines.swapAt(0, 1)
        try check(lines.map { $0 + "\n" }.joined(), "line 1 is out of place", "swapped lines")
        try original.write(toFile: export, atomically: true, encoding: .utf8)
        #expect(try cairn("verify-export", bundle, "--genesis", c.genesisPath).status == 0)

        // A proof file swapped for another leaf's, or removed.
        let proofs = bundle + "/proofs/"
        let a = try String(contentsOfFile: proofs + "2.tlog-proof", encoding: .utf8)
        try String(contentsOfFile: proofs + "3.tlog-proof", encoding: .utf8).write(
            toFile: proofs + "2.tlog-proof", atomically: true, encoding: .utf8)
        let swapped = try cairn("verify-export", bundle, "--genesis", c.genesisPath)
        #expect(swapped.status == 1 && swapped.err.contains("proofs/2.tlog-proof is not the proof of leaf 2"), "\(swapped)")
        try FileManager.default.removeItem(atPath: proofs + "2.tlog-proof")
        let missing = try cairn("verify-export", bundle, "--genesis", c.genesisPath)
        #expect(missing.status == 1 && missing.err.contains("proofs/2.tlog-proof is missing"), "\(missing)")
        try a.write(toFile: proofs + "2.tlog-proof", atomically: true, encoding: .utf8)
        #expect(try cairn("verify-export", bundle, "--genesis", c.genesisPath).status == 0)

        // The manifest is read strictly: an unknown field or a malformed time is refused by name.
        let manifest = bundle + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        for (edit, expected) in [
            ("{\"account\":1,", "manifest.json.account"), ("{\"extra\":true,", "manifest.json.extra: unknown field"),
            ("{\"toTime\":\"yesterday\",", "manifest.json.toTime"),
        ] {
            try text.replacingOccurrences(of: "{", with: edit).write(toFile: manifest, atomically: true, encoding: .utf8)
            let v = try cairn("verify-export", bundle, "--genesis", c.genesisPath)
            #expect(v.status == 1 && v.err.contains(expected), "\(edit): \(v.err)")
        }
    }
}

@Suite(.serialized) struct CamtBundleCLITests {
    @Test func camtBundlesProveEntriesAndBalances() throws {
        let c = try IntegrityTests.chain()
        for format in ["camt.053", "camt.054"] {
            let bundle = c.dir.appendingPathComponent(format).path
            #expect(
                try cairn("export", "--data", c.data, "--format", format, "--from-height", "2", "--with-proofs", "--out", bundle).status
                    == 0)
            let ok = try cairn("verify-export", bundle, "--genesis", c.genesisPath, "--json")
            #expect(ok.status == 0 && ok.json["entries"]?.int64Value == 6, "\(format): \(ok)")
        }
        let doc = c.dir.appendingPathComponent("camt.053/export.camt.053").path
        let original = try String(contentsOfFile: doc, encoding: .utf8)
        for (from, to, expected) in [
            ("<Amt Ccy=\"EUR\">250.25</Amt>", "<Amt Ccy=\"EUR\">250.26</Amt>", "does not match leaf"),
            ("<Cd>CLBD</Cd>", "<Cd>XXXX</Cd>", "CLBD balance"),
        ] {
            try original.replacingOccurrences(of: from, with: to).write(toFile: doc, atomically: true, encoding: .utf8)
            let v = try cairn("verify-export", c.dir.appendingPathComponent("camt.053").path, "--genesis", c.genesisPath)
            #expect(v.status == 1 && v.err.contains("export.camt.053 line "), "\(from): \(v.err)")
            #expect(v.err.contains(expected), "\(from): \(v.err)")
        }
    }
}
