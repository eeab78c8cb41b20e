import CairnCore

/// The `manifest.json` of an export bundle (README, "Export bundle"): what was exported, and the
/// block and leaf ranges its proofs cover. Written as canonical JSON and a newline.
public struct ExportBundleManifest: Sendable, Equatable {
    public static let format = "cairn/v1/export-bundle"
    public static let exports = ["jsonl", "csv", "camt.053", "camt.054"]

    public var origin: String
    /// The genesis hash, in hex.
    public var genesis: String
    /// `jsonl`, `csv`, `camt.053` or `camt.054`.
    public var export: String
    public var account: String?
    public var fromTime: Timestamp?
    public var toTime: Timestamp?
    public var fromHeight: UInt64
    public var toHeight: UInt64
    public var startSize: UInt64
    public var endSize: UInt64

    public init(
        origin: String, genesis: String, export: String, account: String?, fromTime: Timestamp?, toTime: Timestamp?, fromHeight: UInt64,
        toHeight: UInt64, startSize: UInt64, endSize: UInt64
    ) {
        self.origin = origin
        self.genesis = genesis
        self.export = export
        self.account = account
        self.fromTime = fromTime
        self.toTime = toTime
        self.fromHeight = fromHeight
        self.toHeight = toHeight
        self.startSize = startSize
        self.endSize = endSize
    }

    /// The file's bytes: the canonical JSON object and a newline.
    public var encoded: [UInt8] {
        var manifest = JSONObject([
            ("format", .string(Self.format)), ("origin", .string(origin)), ("genesis", .string(genesis)), ("export", .string(export)),
            ("fromHeight", .number(Double(fromHeight))), ("toHeight", .number(Double(toHeight))),
            ("startSize", .number(Double(startSize))), ("endSize", .number(Double(endSize))),
        ])
        if let account { manifest["account"] = .string(account) }
        if let fromTime { manifest["fromTime"] = .string(fromTime.description) }
        if let toTime { manifest["toTime"] = .string(toTime.description) }
        return JSON.canonical(.object(manifest)) + [0x0a]
    }
}

extension StoredBlock {
    /// Its line of an export bundle's `blocks.jsonl`: `{"header", "seals"}` in canonical JSON and a newline.
    public var bundleLine: [UInt8] {
        JSON.canonical(.object(JSONObject([("header", header.json), ("seals", .array(seals.map(\.json)))]))) + [0x0a]
    }
}

/// What an export bundle proves, short of the export file itself.
public struct ProvenBundle: Sendable {
    public var manifest: ExportBundleManifest
    /// Blocks fromHeight−1 to toHeight, and toHeight+1 when the bundle has it: chained, and each
    /// sealed under finality by the genesis validators.
    public var headers: [BlockHeader]
    /// The end checkpoint, as the bundle holds it.
    public var endCheckpoint: String
    /// Leaves startSize..<endSize in order, each proven against the end checkpoint.
    public var leaves: [(proof: TlogProof, proven: ProvenNotice)]
}

/// Reads and checks an export bundle offline with only the genesis file: the manifest, the sealed
/// chain of block headers, the time window (proven by the blocks on either side of the range), the
/// start and end checkpoints and the consistency proof between them, and every leaf of the range
/// with its proof against the end checkpoint. `cairn verify-export` then rebuilds the export from
/// the proven leaves and compares it with the bundle's export file.
///
/// The files are read through `read`, which takes a path inside the bundle (`manifest.json`,
/// `proofs/3.tlog-proof`) and throws when the file cannot be read. Errors name the bundle, the
/// file and, where there is one, the line, the JSON path or the block.
public struct ExportBundleReader {
    /// The bundle as errors name it: its directory.
    public let bundle: String
    public let genesis: Genesis
    private let read: (String) throws -> [UInt8]
    private let validators: LedgerState

    public init(bundle: String, genesis: Genesis, read: @escaping (String) throws -> [UInt8]) {
        self.bundle = bundle
        self.genesis = genesis
        self.read = read
        validators = LedgerState(genesis: genesis)
    }

    func fail(_ what: String) -> CairnError { CairnError(.invalidProof, "\(bundle): \(what)") }

    func parse(_ bytes: [UInt8], _ what: String) throws(CairnError) -> JSONValue {
        do { return try JSON.parse(bytes) } catch { throw fail("\(what): \(error.description)") }
    }

    func text(_ file: String) throws -> String {
        guard let text = String(validating: try read(file), as: UTF8.self) else {
            throw CairnError(.malformedJSON, "couldn't read \(bundle)/\(file): not UTF-8")
        }
        return text
    }

    /// A non-negative integer field.
    func count(_ r: inout FieldReader, _ key: String) throws(CairnError) -> UInt64 {
        let v = try r.int(key)
        guard v >= 0 else { throw r.fail(key, "must not be negative") }
        return UInt64(v)
    }

    /// `manifest.json`, strictly: every field known, of this ledger, the ranges not empty.
    public func manifest() throws -> ExportBundleManifest {
        var m = try FieldReader(try parse(try read("manifest.json"), "manifest.json"), path: "manifest.json")
        guard try m.string("format") == ExportBundleManifest.format else { throw m.fail("format", "not \(ExportBundleManifest.format)") }
        guard try m.string("origin") == genesis.origin, try m.string("genesis") == genesis.hash.hex else {
            throw fail("the bundle is from another ledger")
        }
        let export = try m.string("export")
        guard ExportBundleManifest.exports.contains(export) else { throw m.fail("export", "unknown format \(export)") }
        let from = try count(&m, "fromHeight")
        let to = try count(&m, "toHeight")
        let start = try count(&m, "startSize")
        let end = try count(&m, "endSize")
        guard from >= 1, from <= to, start <= end else { throw fail("manifest.json: the block or leaf range is empty") }
        let account = try m.optionalString("account")
        let fromTime = m.object["fromTime"] == nil ? nil : try m.timestamp("fromTime")
        let toTime = m.object["toTime"] == nil ? nil : try m.timestamp("toTime")
        try m.finish()
        return ExportBundleManifest(
            origin: genesis.origin, genesis: genesis.hash.hex, export: export, account: account, fromTime: fromTime, toTime: toTime,
            fromHeight: from, toHeight: to, startSize: start, endSize: end)
    }

    /// `blocks.jsonl`: the headers of blocks fromHeight−1 to toHeight (and toHeight+1 when it
    /// exists), chained, each sealed under finality by the genesis validators, covering the
    /// manifest's leaf range, and inside its time window with the blocks on either side outside it.
    public func headers(_ m: ExportBundleManifest) throws -> [BlockHeader] {
        let (from, to) = (m.fromHeight, m.toHeight)
        var headers: [BlockHeader] = []
        for (i, line) in try text("blocks.jsonl").split(separator: "\n").enumerated() {
            let what = "blocks.jsonl line \(i + 1)"
            var o = try FieldReader(try parse(Array(line.utf8), what), path: what)
            let h = try BlockHeader(canonical: JSON.canonical(try o.value("header")))
            var seals: [Seal] = []
            for (k, s) in try o.array("seals").enumerated() { seals.append(try Seal(json: s, path: "\(what).seals[\(k)]")) }
            try o.finish()
            do throws(CairnError) { try h.checkSeals(seals, in: validators) } catch { throw fail("\(what): \(error.message)") }
            if let prev = headers.last, h.prev != prev.hash || h.height != prev.height + 1 {
                throw fail("block \(h.height) does not follow block \(prev.height)")
            }
            headers.append(h)
        }
        guard headers.first?.height == from - 1, headers.count >= Int(to - from) + 2 else {
            throw fail("blocks.jsonl does not cover blocks \(from - 1)...\(to)")
        }
        // At most the one block after the range, which proves the end of the time window: a
        // later one would stand in for it there.
        guard headers.count <= Int(to - from) + 3 else {
            throw fail("blocks.jsonl line \(Int(to - from) + 4) holds block \(headers[Int(to - from) + 3].height), past block \(to + 1)")
        }
        let startHeader = headers[0]
        let endHeader = headers[Int(to - from) + 1]
        guard startHeader.logSize == m.startSize, endHeader.logSize == m.endSize else {
            throw fail("the leaf range does not match the blocks")
        }
        // The time filter, proven by the blocks on either side of the range.
        if let fromTime = m.fromTime, from > 1, startHeader.time >= fromTime {
            throw fail("block \(from - 1) is inside the time window but not exported")
        }
        if let toTime = m.toTime, headers.count > Int(to - from) + 2, headers.last!.time <= toTime {
            throw fail("block \(to + 1) is inside the time window but not exported")
        }
        for h in headers.dropFirst().prefix(Int(to - from) + 1) {
            if let fromTime = m.fromTime, h.time < fromTime { throw fail("block \(h.height) is before the time window") }
            if let toTime = m.toTime, h.time > toTime { throw fail("block \(h.height) is after the time window") }
        }
        return headers
    }

    /// `start.checkpoint` and `end.checkpoint` are the first and last exported blocks' own,
    /// signed under finality, and `consistency.txt` shows that the end extends the start.
    /// Returns the end checkpoint's text.
    public func checkpoints(_ m: ExportBundleManifest, headers: [BlockHeader]) throws -> String {
        let startHeader = headers[0]
        let endHeader = headers[Int(m.toHeight - m.fromHeight) + 1]
        let endText = try text("end.checkpoint")
        for (file, h) in [("start.checkpoint", startHeader), ("end.checkpoint", endHeader)] {
            let text = try text(file)
            do throws(CairnError) { try h.checkCheckpoint(text, in: validators) } catch { throw fail("\(file): \(error.message)") }
        }
        if m.startSize > 0 {
            let c = try ConsistencyProofFile(parsing: try text("consistency.txt"))
            guard c.oldSize == m.startSize, c.checkpoint.encoded == endText,
                MerkleVerify.consistency(
                    oldSize: m.startSize, newSize: m.endSize, oldRoot: startHeader.logRoot, newRoot: endHeader.logRoot, proof: c.hashes)
                    == .valid
            else { throw fail("consistency.txt does not show that the end checkpoint extends the start") }
        }
        return endText
    }

    /// `proofs/<index>.tlog-proof`: the one proof of leaf `index` against the end checkpoint,
    /// verified offline (`ProofVerifier`).
    public func leaf(_ index: UInt64, endCheckpoint endText: String) throws -> (proof: TlogProof, proven: ProvenNotice) {
        let file = "proofs/\(index).tlog-proof"
        guard let bytes = try? read(file), let text = String(validating: bytes, as: UTF8.self) else {
            throw fail("\(file) is missing: the export is not proven complete")
        }
        let proofs = try TlogProof.parseMany(text)
        guard proofs.count == 1, proofs[0].index == index, proofs[0].checkpoint.encoded == endText else {
            throw fail("\(file) is not the proof of leaf \(index) against the end checkpoint")
        }
        switch ProofVerifier.verify(proofs, genesis: genesis) {
        case .success(let p): return (proofs[0], p)
        case .failure(let e): throw fail("\(file): \(e.message)")
        }
    }

    /// All of the above, in that order.
    public func verify() throws -> ProvenBundle {
        let m = try manifest()
        let headers = try headers(m)
        let endText = try checkpoints(m, headers: headers)
        var leaves: [(proof: TlogProof, proven: ProvenNotice)] = []
        for index in m.startSize..<m.endSize { leaves.append(try leaf(index, endCheckpoint: endText)) }
        return ProvenBundle(manifest: m, headers: headers, endCheckpoint: endText, leaves: leaves)
    }
}
