import ArgumentParser
import CairnCore
import CairnExport
import CairnLedger
import CairnStore
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export committed notices as JSON Lines, CSV, or ISO 20022 camt.053 statements and camt.054 notifications.",
        discussion: "The ISO 20022 mapping is in docs/iso20022.md. Every camt document is validated against its XSD before it is written.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv
        case camt053 = "camt.053"
        case camt054 = "camt.054"
    }

    @OptionGroup var data: DataOption
    @Option(help: "jsonl, csv, camt.053 or camt.054.") var format: Format
    @Option(help: "Only notices that move money in or out of this account.") var account: String?
    @Option(help: "From this block (default 1).") var fromHeight: UInt64?
    @Option(help: "To this block (default: the latest).") var toHeight: UInt64?
    @Option(help: "Only blocks at or after this time (RFC 3339).") var fromTime: String?
    @Option(help: "Only blocks at or before this time (RFC 3339).") var toTime: String?
    @Option(help: "The file to write; with --with-proofs, a directory for the bundle.") var out: String
    @Flag(help: "Write a bundle that proves the export complete and correct (jsonl and csv): see verify-export.") var withProofs = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let ledger = try data.open()
            let g = ledger.genesis
            if let account, g.account(account) == nil { throw CairnError(.unknownAccount, "unknown account \(account)") }
            let (from, to, t0, t1) = try selection(ledger)
            var count = 0
            if withProofs {
                // The bundle is built under a temporary name and renamed into place when complete.
                guard !FileManager.default.fileExists(atPath: out) else {
                    throw CairnError(.storage, "couldn't write the bundle: \(out) exists")
                }
                try buildDirectory(at: out) { staging in
                    try FileManager.default.createDirectory(atPath: staging + "/proofs", withIntermediateDirectories: true)
                    count = try write(ledger, to: staging + "/export." + format.rawValue, from: from, to: to)
                    try ExportBundle.write(
                        ledger: ledger, dir: staging, format: format.rawValue, account: account, from: from, to: to, fromTime: t0,
                        toTime: t1)
                }
            } else {
                count = try write(ledger, to: out, from: from, to: to)
            }
            if output.json {
                printJSON([
                    "format": .string(format.rawValue), "out": .string(out), "fromHeight": .int(from), "toHeight": .int(to),
                    "entries": .int(count),
                ])
            } else {
                print("wrote \(count) entries from blocks \(from)...\(to) to \(out)")
            }
        }
    }

    /// The blocks to export, `from...to`, and the time window: the options narrowed to the
    /// ledger. An inverted range is a usage error; a range in which the ledger has no block (a
    /// time past the last block, a fresh ledger) is `empty_selection`, and nothing is written.
    func selection(_ ledger: Ledger) throws -> (from: UInt64, to: UInt64, fromTime: Timestamp?, toTime: Timestamp?) {
        let head = ledger.head.header
        guard (fromHeight ?? 1) >= 1, (toHeight ?? 1) >= 1 else {
            throw CairnError(.usage, "--from-height and --to-height must be at least 1 (block 0 is the genesis block, with no notices)")
        }
        if let fromHeight, let toHeight, fromHeight > toHeight {
            throw CairnError(.usage, "the height range \(fromHeight)...\(toHeight) is inverted")
        }
        let t0 = try fromTime.map { t throws(CairnError) in
            guard let v = Timestamp(rfc3339: t) else { throw CairnError(.usage, "--from-time \(t) is not RFC 3339 UTC") }
            return v
        }
        let t1 = try toTime.map { t throws(CairnError) in
            guard let v = Timestamp(rfc3339: t) else { throw CairnError(.usage, "--to-time \(t) is not RFC 3339 UTC") }
            return v
        }
        if let t0, let t1, t0 > t1 { throw CairnError(.usage, "the time window \(t0)...\(t1) is inverted") }
        var from = fromHeight ?? 1
        var to = min(toHeight ?? head.height, head.height)
        // Narrow the heights to the blocks inside the time window (block times never decrease).
        if let t0 { while from <= to, let b = try ledger.store.block(at: from), b.header.time < t0 { from += 1 } }
        if let t1 { while to >= from, let b = try ledger.store.block(at: to), b.header.time > t1 { to -= 1 } }
        guard from <= to else {
            var asked = "blocks \(fromHeight ?? 1)...\(toHeight.map(String.init) ?? "latest")"
            if t0 != nil || t1 != nil { asked += " from \(t0?.description ?? "the start") to \(t1?.description ?? "now")" }
            throw CairnError(
                .emptySelection,
                "no block to export: the ledger has none in \(asked) (its last is block \(head.height) at \(head.time)); nothing was written"
            )
        }
        return (from, to, t0, t1)
    }

    /// Writes the export of blocks `from...to` to `path` under a temporary name, renamed into
    /// place once complete (and, for camt, valid); returns the number of entries.
    func write(_ ledger: Ledger, to path: String, from: UInt64, to: UInt64) throws -> Int {
        let file = try StagedFile(path)
        var count = 0
        var records = LedgerRecords(ledger: ledger, from: from, to: to, account: account)
        records.progress = Progress.terminal("exporting block")
        switch format {
        case .jsonl:
            try records.visit { r in
                try file.write(JSONLinesWriter.line(r))
                count += 1
            }
        case .csv:
            try file.write(CSVWriter.header)
            try records.visit { r in
                try file.write(CSVWriter.row(r))
                count += 1
            }
        case .camt053, .camt054:
            // Streamed: each account's entries come from a pass over the ledger (two per
            // statement: totals, then entries), and the file is validated as a stream.
            var failed: Error?
            let sink: (String) -> Void = { text in
                guard failed == nil else { return }
                do { try file.write(text) } catch { failed = error }
            }
            let heads = try self.statements(ledger, from: from, to: to)
            let header = ExportHeader(
                messageID: "CAIRN-\(from)-\(to)-\(Hex.encode(randomBytes(4)))", created: now().description, origin: ledger.genesis.origin)
            var visits = 0
            let entries: (Int, (ExportRecord) throws -> Void) throws -> Void = { i, visit in
                try LedgerRecords(ledger: ledger, from: from, to: to, account: heads[i].account).visit { r in
                    visits += 1
                    try visit(r)
                }
            }
            do {
                if format == .camt053 {
                    try Camt053Writer.write(header: header, statements: heads, entries: entries, to: sink)
                } else {
                    try Camt054Writer.write(header: header, notifications: heads.map(AccountNotification.init), entries: entries, to: sink)
                }
            } catch let e as CairnError {
                throw e
            } catch {
                throw CairnError(.invalidField, "couldn't write \(format.rawValue): \(error)")
            }
            if let failed { throw failed }
            count = visits / 2
            let schema = format == .camt053 ? Camt053Writer.schema : Camt054Writer.schema
            if let issue = schema.validator.validate(file: file.temporary).first {
                throw CairnError(.invalidField, "the \(format.rawValue) document does not validate: line \(issue.line): \(issue.message)")
            }
        }
        try file.commit()
        return count
    }

    /// One statement head per account (and so per currency): its opening balance before `from` and
    /// closing balance after `to`; the entries are streamed when the document is written.
    func statements(_ ledger: Ledger, from: UInt64, to: UInt64) throws -> [Statement] {
        let g = ledger.genesis
        let accounts = g.accounts.filter { account == nil || $0.id == account }.sorted { $0.id < $1.id }
        let opening = Dictionary(uniqueKeysWithValues: try ledger.store.balances(at: from - 1).map { ($0.account, $0.balance) })
        let closing = Dictionary(uniqueKeysWithValues: try ledger.store.balances(at: to).map { ($0.account, $0.balance) })
        let fromTime = try ledger.store.block(at: from)?.header.time.description ?? ""
        let toTime = try ledger.store.block(at: to)?.header.time.description ?? ""
        return accounts.map { a in
            Statement(
                account: a.id, owner: a.owner, currency: a.currency, minorDigits: g.minorDigits(a.currency) ?? 0,
                opening: opening[a.id] ?? 0, closing: closing[a.id] ?? 0, fromTime: fromTime, toTime: toTime, fromHeight: from,
                toHeight: to, entries: [])
        }
    }
}

/// Streams the committed notices of blocks `from...to` as export records, one block in memory
/// at a time, optionally only those that move money in or out of `account`.
struct LedgerRecords {
    let ledger: Ledger
    let from: UInt64
    let to: UInt64
    let account: String?
    /// Called after each block with (height, last height).
    var progress: (UInt64, UInt64) -> Void = { _, _ in }

    func visit(_ body: (ExportRecord) throws -> Void) throws {
        // An empty range (from > to) visits nothing rather than trapping.
        for height in stride(from: from, through: to, by: 1) {
            defer { progress(height, to) }
            guard let block = try ledger.store.block(at: height) else { continue }
            let h = block.header
            for (i, leaf) in try ledger.store.leaves(from: h.firstLeaf, count: h.count).enumerated() {
                let e = try Envelope(leaf: leaf)
                guard LedgerRecords.matches(e.notice, account: account) else { continue }
                try body(LedgerRecords.record(e, leaf: leaf, index: h.firstLeaf + UInt64(i), header: h, genesis: ledger.genesis))
            }
        }
    }

    /// Whether a notice moves money in or out of `account` (always, without one).
    static func matches(_ n: Notice, account: String?) -> Bool {
        guard let account else { return true }
        return n.money?.from == account || n.money?.to == account
    }

    /// The export record of one committed leaf; `verify-export` rebuilds records the same way.
    static func record(_ e: Envelope, leaf: [UInt8], index: UInt64, header h: BlockHeader, genesis g: Genesis) -> ExportRecord {
        let n = e.notice
        let digits = n.money.flatMap { g.minorDigits($0.currency) }
        return ExportRecord(
            id: n.id, kind: n.kind.rawValue, height: h.height, leafIndex: index, time: h.time.description,
            submitter: n.submitter, from: n.money?.from, to: n.money?.to,
            amount: n.money.flatMap { m in digits.flatMap { Amount.parse(m.amount, minorDigits: $0) } },
            currency: n.money?.currency, minorDigits: digits, reference: n.reference, refs: n.refs,
            signers: e.signatures.map(\.signer), envelope: String(decoding: leaf, as: UTF8.self))
    }
}
