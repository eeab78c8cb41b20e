import ArgumentParser
import CairnCore
import CairnExport
import CairnLedger
import CairnStore
import Foundation

/// An export with its proofs, as a directory:
/// - `export.jsonl` or `export.csv`: the export;
/// - `manifest.json`: origin, genesis hash, format, filters, the block range and the leaf range;
/// - `blocks.jsonl`: the headers and seals of blocks from-1...to, and of to+1 when it exists;
/// - `start.checkpoint`, `end.checkpoint`: the signed checkpoints of blocks from-1 and to;
/// - `consistency.txt`: the consistency proof from the start size to the end size;
/// - `proofs/<index>.tlog-proof`: every leaf of the range with its inclusion proof against the end;
/// - for camt exports, `balances/<account>@<height>.json`: balance proofs of every statement's
///   opening (after block from-1) and closing (after block to) balance.
enum ExportBundle {
    static func write(
        ledger: Ledger, dir: String, format: String, account: String?, from: UInt64, to: UInt64, fromTime: Timestamp?, toTime: Timestamp?
    ) throws {
        let store = ledger.store
        guard let startBlock = try store.block(at: from - 1), let endBlock = try store.block(at: to) else {
            throw CairnError(.notFound, "blocks \(from - 1) and \(to) must exist")
        }
        let start = startBlock.header.logSize
        let end = endBlock.header.logSize
        let manifest = ExportBundleManifest(
            origin: ledger.genesis.origin, genesis: ledger.genesis.hash.hex, export: format, account: account, fromTime: fromTime,
            toTime: toTime, fromHeight: from, toHeight: to, startSize: start, endSize: end)
        try write(String(decoding: manifest.encoded, as: UTF8.self), dir + "/manifest.json")
        var blocks = ""
        let last = try store.block(at: to + 1) == nil ? to : to + 1
        for h in (from - 1)...last { blocks += String(decoding: try store.block(at: h)!.bundleLine, as: UTF8.self) }
        try write(blocks, dir + "/blocks.jsonl")
        try write(startBlock.checkpoint, dir + "/start.checkpoint")
        try write(endBlock.checkpoint, dir + "/end.checkpoint")
        let endNote = try SignedNote(parsing: endBlock.checkpoint)
        if start > 0 {
            try write(
                ConsistencyProofFile(oldSize: start, hashes: try store.consistencyProof(old: start, new: end), checkpoint: endNote).encoded,
                dir + "/consistency.txt")
        }
        if format.hasPrefix("camt") {
            try FileManager.default.createDirectory(atPath: dir + "/balances", withIntermediateDirectories: true)
            for a in ledger.genesis.accounts where account == nil || a.id == account {
                for h in [from - 1, to] {
                    let proof = try BalanceProof.make(store: store, account: a.id, height: h)
                    try write(
                        String(decoding: JSON.canonical(proof.json), as: UTF8.self) + "\n", dir + "/balances/\(fileName(a.id))@\(h).json")
                }
            }
        }
        var index = start
        while index < end {
            let leaves = try store.leaves(from: index, count: min(1024, end - index))
            for leaf in leaves {
                let proof = TlogProof(
                    extra: leaf, index: index, hashes: try store.inclusionProof(index: index, size: end), checkpoint: endNote)
                try write(proof.encoded, dir + "/proofs/\(index).tlog-proof")
                index += 1
            }
        }
    }

    /// An account id as a file name: the `/` becomes `_`.
    static func fileName(_ account: String) -> String { account.replacingOccurrences(of: "/", with: "_") }

    static func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}

struct VerifyExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check an export bundle offline with only the genesis file: complete, correct, and extending its start.")

    @Argument(help: "The bundle directory written by export --with-proofs.") var dir: String
    @Option(help: "The genesis file.") var genesis: String
    @OptionGroup var output: OutputOptions

    func fail(_ what: String) -> CairnError { CairnError(.invalidProof, "\(dir): \(what)") }

    func run() throws {
        try CairnCLI.run(output) {
            let g = try Genesis(bytes: try readBytes(genesis))
            // The manifest, the sealed headers, the time window, the checkpoints and the
            // consistency proof (CairnLedger's ExportBundleReader); then every leaf's proof here.
            let reader = ExportBundleReader(bundle: dir, genesis: g) { try readBytes(dir + "/" + $0) }
            let m = try reader.manifest()
            let headers = try reader.headers(m)
            let endText = try reader.checkpoints(m, headers: headers)
            let (format, account, from, to, start, end) = (m.export, m.account, m.fromHeight, m.toHeight, m.startSize, m.endSize)

            // Every leaf of the range, proven against the end checkpoint; the export rebuilt from them.
            var records: [ExportRecord] = []
            var expected: [String] = format == "csv" ? [CSVWriter.header] : []
            for index in start..<end {
                let (proof, proven) = try reader.leaf(index, endCheckpoint: endText)
                guard LedgerRecords.matches(proven.envelope.notice, account: account) else { continue }
                guard let h = headers.first(where: { index >= $0.firstLeaf && index < $0.firstLeaf + $0.count }) else {
                    throw fail("leaf \(index) is in no block of the bundle")
                }
                let r = LedgerRecords.record(proven.envelope, leaf: proof.extra!, index: index, header: h, genesis: g)
                records.append(r)
                expected.append(format == "csv" ? CSVWriter.row(r) : JSONLinesWriter.line(r))
            }
            if format.hasPrefix("camt") {
                let count = try CamtCheck(dir: dir, format: format, genesis: g, account: account, from: from, to: to, records: records)
                    .run()
                if output.json {
                    printJSON([
                        "ok": .bool(true), "entries": .int(count), "leaves": .int(end - start), "fromHeight": .int(from),
                        "toHeight": .int(to),
                    ])
                } else {
                    print("ok: \(count) entries proven complete and correct over leaves \(start)..<\(end), blocks \(from)...\(to)")
                }
                return
            }
            let separator = format == "csv" ? "\r\n" : "\n"
            let actual = try readText(dir + "/export." + format).components(separatedBy: separator).dropLast().map { $0 + separator }
            for (i, line) in actual.enumerated() where i >= expected.count || expected[i] != line {
                let why =
                    i >= expected.count
                    ? "is extra" : expected.contains(line) ? "is out of place or duplicated" : "does not match the proven leaves"
                throw fail("export.\(format) line \(i + 1) \(why)")
            }
            guard actual.count == expected.count else { throw fail("export.\(format) lacks line \(actual.count + 1) of \(expected.count)") }
            if output.json {
                printJSON([
                    "ok": .bool(true), "lines": .int(actual.count), "leaves": .int(end - start), "fromHeight": .int(from),
                    "toHeight": .int(to),
                ])
            } else {
                print("ok: \(actual.count) lines proven complete and correct over leaves \(start)..<\(end), blocks \(from)...\(to)")
            }
        }
    }
}

/// Checks a camt.053 or camt.054 export against the proven leaves: it validates against its
/// schema; each account has one statement whose entries are exactly the proven leaves that move
/// its money, in order, with their amounts and directions; and (camt.053) the opening and closing
/// balances equal the bundle's balance proofs and add up.
struct CamtCheck {
    let dir: String
    let format: String
    let genesis: Genesis
    let account: String?
    let from: UInt64
    let to: UInt64
    let records: [ExportRecord]

    func fail(_ what: String) -> CairnError { CairnError(.invalidProof, "\(dir): export.\(format) \(what)") }

    func run() throws -> Int {
        let bytes = try readBytes(dir + "/export." + format)
        let issues = (format == "camt.053" ? Camt053Writer.schema : Camt054Writer.schema).validator.validate(bytes)
        if let i = issues.first { throw fail("line \(i.line): \(i.path): \(i.message)") }
        let text = String(decoding: bytes, as: UTF8.self)
        let tag = format == "camt.053" ? "Stmt" : "Ntfctn"
        let parts = text.components(separatedBy: "<\(tag)>").dropFirst()
        var line = text.components(separatedBy: "<\(tag)>")[0].filter { $0 == "\n" }.count + 1
        var seen: [String] = []
        var entries = 0
        for part in parts {
            let statementLine = line
            defer { line += part.filter { $0 == "\n" }.count }
            guard let acct = part.components(separatedBy: "<Acct>").dropFirst().first,
                let id = Self.element("Id", in: acct.components(separatedBy: "<Othr>").dropFirst().first ?? "")
            else { throw fail("line \(statementLine): a statement has no account id") }
            guard let a = genesis.account(id), account == nil || id == account else {
                throw fail("line \(statementLine): unexpected account \(id)")
            }
            guard !seen.contains(id) else { throw fail("line \(statementLine): a second statement for \(id)") }
            seen.append(id)
            let digits = genesis.minorDigits(a.currency) ?? 0
            let mine = records.filter { $0.from == id || $0.to == id }
            let ntries = part.components(separatedBy: "<Ntry>")
            var entryLine = statementLine + ntries[0].filter { $0 == "\n" }.count
            var net: Int64 = 0
            for (k, ntry) in ntries.dropFirst().enumerated() {
                defer { entryLine += ntry.filter { $0 == "\n" }.count }
                guard k < mine.count else { throw fail("line \(entryLine): entry \(k + 1) of \(id) is extra") }
                let r = mine[k]
                guard Self.element("NtryRef", in: ntry) == String(r.leafIndex) else {
                    throw fail("line \(entryLine): entry \(k + 1) of \(id) should be leaf \(r.leafIndex)")
                }
                let signed = try Self.amount(ntry, digits: digits)
                let want = (r.to == id ? 1 : -1) * (r.amount ?? 0)
                guard signed == want else { throw fail("line \(entryLine): entry \(k + 1) of \(id) does not match leaf \(r.leafIndex)") }
                net += signed
            }
            guard ntries.count - 1 == mine.count else {
                throw fail("line \(statementLine): the statement of \(id) lacks entry \(ntries.count) of \(mine.count)")
            }
            entries += mine.count
            if format == "camt.053" {
                let balances = part.components(separatedBy: "<Bal>").dropFirst()
                var found: [String: Int64] = [:]
                for b in balances { if let code = Self.element("Cd", in: b) { found[code] = try Self.amount(b, digits: digits) } }
                for (code, height) in [("OPBD", from - 1), ("CLBD", to)] {
                    let path = dir + "/balances/\(ExportBundle.fileName(id))@\(height).json"
                    guard let proofBytes = try? readBytes(path) else {
                        throw fail("line \(statementLine): balances/\(ExportBundle.fileName(id))@\(height).json is missing")
                    }
                    let proven = try BalanceProof(parsing: proofBytes).verify(genesis: genesis).get()
                    guard proven.account == id, proven.height == height,
                        let value = Amount.parse(proven.balance.replacingOccurrences(of: "-", with: ""), minorDigits: digits)
                    else { throw fail("line \(statementLine): the balance proof for \(id) at \(height) is not this account's") }
                    guard found[code] == (proven.balance.hasPrefix("-") ? -value : value) else {
                        throw fail("line \(statementLine): the \(code) balance of \(id) is not the proven balance after block \(height)")
                    }
                }
                guard let open = found["OPBD"], let close = found["CLBD"], open + net == close else {
                    throw fail("line \(statementLine): the statement of \(id) does not add up")
                }
            }
        }
        for a in genesis.accounts where (account == nil || a.id == account) && !seen.contains(a.id) {
            throw fail("has no statement for \(a.id)")
        }
        return entries
    }

    /// The text of the first `<name>` element in `xml`.
    static func element(_ name: String, in xml: some StringProtocol) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[open.upperBound..<close.lowerBound])
    }

    /// The first `<Amt>` with its `<CdtDbtInd>`, as signed minor units.
    static func amount(_ xml: some StringProtocol, digits: Int) throws -> Int64 {
        guard let amt = xml.range(of: "<Amt "), let gt = xml.range(of: ">", range: amt.upperBound..<xml.endIndex),
            let end = xml.range(of: "</Amt>", range: gt.upperBound..<xml.endIndex),
            let value = Amount.parse(String(xml[gt.upperBound..<end.lowerBound]), minorDigits: digits),
            let ind = element("CdtDbtInd", in: xml)
        else { throw CairnError(.invalidProof, "an amount is malformed") }
        return ind == "DBIT" ? -value : value
    }
}
