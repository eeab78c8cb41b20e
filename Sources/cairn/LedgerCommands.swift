import ArgumentParser
import CairnCore
import CairnLedger
import CairnNode
import CairnStore
import Foundation

struct DataOption: ParsableArguments {
    @Option(help: "The ledger's data directory.") var data: String

    func open() throws -> Ledger { try LedgerDirectory(data).open() }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a ledger from a genesis file, with this node's validator key.")

    @Option(help: "The genesis JSON file.") var genesis: String
    @OptionGroup var data: DataOption
    @Option(help: "This node's validator private key file.") var key: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let ledger = try LedgerDirectory(data.data).initialize(
                genesisBytes: try readBytes(genesis), key: try SigningKey(parsing: try readText(key)))
            let head = ledger.head
            if output.json {
                printJSON([
                    "genesis": .string(ledger.genesis.hash.hex), "block0": .string(head.hash.hex), "origin": .string(ledger.genesis.origin),
                ])
            } else {
                print("created ledger \(ledger.genesis.origin) in \(data.data)")
                print("genesis \(ledger.genesis.hash.hex)")
                print("block 0 \(head.hash.hex)")
            }
        }
    }
}

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add notices, or more signatures for them, to the pending pool.",
        discussion: """
            Several files are admitted together and made durable with one commit. Each prints its id and \
            status (pending, complete, committed or rejected). A notice already committed or rejected is a \
            duplicate_notice error and changes nothing; any refused file makes the exit status 1.
            """)

    @OptionGroup var target: LedgerOrNode
    @Argument(help: "Body or envelope JSON files, or - for standard input.") var files: [String]
    @Option(help: "With --node: an Idempotency-Key, so a retry gets the first answer again (one file only).") var idempotencyKey: String?
    @Flag(
        help: """
            With --data: seal at once, with this node's validator key. Complete notices go straight into \
            blocks, after the pool's complete notices, instead of through the pool; the blocks are those \
            that submitting and then running `cairn seal` until nothing is left would cut.
            """)
    var seal = false
    @Option(help: "With --seal: at most this many notices in a block (default \(Ledger.blockMax)).") var max: Int?
    @OptionGroup var output: OutputOptions

    /// What one file got: its id, status and what it still needs, and the refusal if any (a
    /// duplicate has both its status and the refusal).
    struct Outcome {
        var id: String?
        var status: String?
        var missing: String?
        /// Where a notice committed by --seal is.
        var height: UInt64?
        var leafIndex: UInt64?
        var error: CairnError?
    }

    func run() throws {
        try CairnCLI.run(output) {
            guard !files.isEmpty else { throw CairnError(.usage, "give at least one notice file") }
            guard idempotencyKey == nil || (files.count == 1 && target.isRemote) else {
                throw CairnError(.usage, "--idempotency-key needs --node and exactly one file")
            }
            guard !seal || !target.isRemote else { throw CairnError(.usage, "--seal needs --data: a node seals by itself") }
            guard seal || max == nil else { throw CairnError(.usage, "--max needs --seal") }
            guard (max ?? 1) > 0 else { throw CairnError(.usage, "--max must be positive") }
            var inputs: [[UInt8]] = []
            var envelopes: [Envelope] = []
            for file in files {
                let bytes = try readBytes(file)
                do { envelopes.append(try Envelope(parsing: bytes)) } catch let e as CairnError {
                    throw CairnError(e.code, files.count > 1 ? "\(file): \(e.message)" : e.message)
                }
                inputs.append(bytes)
            }
            let outcomes = target.isRemote ? try remote(inputs) : try local(envelopes)
            var failed = false
            for (file, outcome) in zip(files, outcomes) {
                var o = JSONObject()
                if let id = outcome.id, let status = outcome.status {
                    o["id"] = .string(id)
                    o["status"] = .string(status)
                    if let missing = outcome.missing { o["missing"] = .string(missing) }
                    if let height = outcome.height, let leafIndex = outcome.leafIndex {
                        o["height"] = .int(height)
                        o["leafIndex"] = .int(leafIndex)
                    }
                    if !output.json {
                        print("\(id) \(status)\(outcome.height.map { " at height \($0)" } ?? "")")
                        if let missing = outcome.missing { print("waiting for \(missing)") }
                    }
                }
                if let error = outcome.error {
                    failed = true
                    o["error"] = .object(JSONObject([("code", .string(error.code.rawValue)), ("message", .string(error.message))]))
                    printErr("cairn: \(error.code): \(files.count > 1 ? file + ": " : "")\(error.message)")
                }
                if output.json { printJSON(o) }
            }
            if failed { throw ExitCode(1) }
        }
    }

    func local(_ envelopes: [Envelope]) throws -> [Outcome] {
        let ledger = try target.open()
        let results =
            seal
            ? try ledger.commit(
                Ledger.check(envelopes, in: ledger.state), key: try LedgerDirectory(target.data!).validatorKey(), now: now(),
                max: max ?? Ledger.blockMax
            ).results
            : try ledger.submit(envelopes, now: now())
        return results.map { result in
            switch result {
            case .failure(let e): return Outcome(error: e)
            case .success(let r):
                var outcome = Outcome(id: r.id, status: r.status.rawValue, missing: r.missing)
                if r.status == .committed, !r.duplicate {
                    outcome.height = r.record?.height
                    outcome.leafIndex = r.record?.leafIndex
                }
                if r.duplicate, let rec = r.record {
                    let how = rec.code.map { " (\($0))" } ?? ""
                    outcome.error = CairnError(
                        .duplicateNotice,
                        "notice \(r.id) was already \(rec.status.rawValue) at height \(rec.height ?? 0)\(how); nothing changed")
                }
                return outcome
            }
        }
    }

    func remote(_ inputs: [[UInt8]]) throws -> [Outcome] {
        let key = idempotencyKey
        return try target.remote.with { client in
            var out: [Outcome] = []
            for bytes in inputs {
                let a = try await client.send("POST", "/v1/notices", body: bytes, headers: key.map { [("Idempotency-Key", $0)] } ?? [])
                // A refusal's details name the notice and its status when there is one (a duplicate).
                var o = a.json?.objectValue ?? JSONObject()
                if a.status >= 400 { o = o["error"]?.objectValue?["details"]?.objectValue ?? JSONObject() }
                out.append(
                    Outcome(
                        id: o["id"]?.stringValue, status: o["status"]?.stringValue, missing: o["missing"]?.stringValue,
                        error: a.status >= 400 ? NodeClient.error(a) : nil))
            }
            return out
        }
    }
}

struct Seal: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cut one block of the complete pending notices.")

    @OptionGroup var data: DataOption
    @Option(help: "At most this many notices in the block.") var max = Ledger.blockMax
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let dir = LedgerDirectory(data.data)
            let ledger = try dir.open()
            guard max > 0 else { throw CairnError(.usage, "--max must be positive") }
            guard let result = try ledger.seal(key: try dir.validatorKey(), now: now(), max: max) else {
                if output.json {
                    printJSON(["sealed": .bool(false), "height": .int(ledger.head.header.height)])
                } else {
                    print("nothing to seal: no complete notice is pending, none has expired, and no contract timeout is due")
                }
                return
            }
            let h = result.block.header
            if output.json {
                printJSON([
                    "height": .int(h.height), "hash": .string(result.block.hash.hex),
                    "committed": .array(result.committed.map(JSONValue.string)),
                    "rejected": .array(
                        result.rejected.map {
                            .object(JSONObject([("id", .string($0.id)), ("code", .string($0.code)), ("message", .string($0.message))]))
                        }),
                    "timeouts": .array(result.timeouts.map(JSONValue.string)),
                    "movements": .array(result.movements.map { movementJSON($0, genesis: ledger.genesis) }),
                ])
            } else {
                print("block \(h.height) \(result.block.hash.hex)")
                print("time \(h.time), log size \(h.logSize)")
                for id in result.committed { print("committed \(id)") }
                for r in result.rejected { print("rejected \(r.id) \(r.code): \(r.message)") }
                for i in result.timeouts { print("timeout fired: instance \(i)") }
                for m in result.movements { print("contract \(movementText(m, genesis: ledger.genesis))") }
            }
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a notice (by id) or a block (by height).")

    @OptionGroup var data: DataOption
    @Argument(help: "A notice id (64 hex digits) or a block height.") var target: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let ledger = try data.open()
            if let height = UInt64(target), target.count < 64 {
                guard let b = try ledger.store.block(at: height) else {
                    throw CairnError(.notFound, "no block at height \(height) (the head is \(ledger.head.header.height))")
                }
                showBlock(b)
            } else {
                try showNotice(ledger)
            }
        }
    }

    func showBlock(_ b: StoredBlock) {
        guard case .object(let o) = b.header.json else { return }
        if output.json {
            print(String(decoding: JSON.canonical(b.json), as: UTF8.self))
        } else {
            print("block \(b.header.height) \(b.hash.hex)")
            for (k, v) in o.members where k != "rejected" {
                if case .string(let s) = v { print("  \(k): \(s)") } else if case .number(let n) = v { print("  \(k): \(Int64(n))") }
            }
            for r in b.header.rejected { print("  rejected: \(r.id) \(r.code)") }
            print("  sealed by: \(b.seals.map(\.signer).joined(separator: ", "))")
        }
    }

    func showNotice(_ ledger: Ledger) throws {
        guard let r = try ledger.store.notice(target) else { throw CairnError(.notFound, "notice \(target) is not known") }
        var envelope: JSONValue = .null
        if let i = r.leafIndex {
            envelope = try Envelope(leaf: try ledger.store.leaves(from: i, count: 1)[0]).json
        } else if let (bytes, _) = try ledger.store.pending(target) {
            envelope = try Envelope(leaf: bytes).json
        }
        if output.json {
            printJSON([
                "id": .string(r.id), "status": .string(r.status.rawValue),
                "height": r.height.map(JSONValue.int) ?? .null, "leafIndex": r.leafIndex.map(JSONValue.int) ?? .null,
                "code": .optional(r.code), "message": .optional(r.message), "envelope": envelope,
            ])
        } else {
            print("notice \(r.id)")
            print("  status: \(r.status.rawValue)")
            if let h = r.height { print("  height: \(h)") }
            if let i = r.leafIndex { print("  leaf index: \(i)") }
            if let c = r.code { print("  rejected: \(c): \(r.message ?? "")") }
            if envelope != .null { print("  envelope: \(String(decoding: JSON.canonical(envelope), as: UTF8.self))") }
        }
    }
}

struct Balance: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an account's balance, now or after a given block.")

    @OptionGroup var data: DataOption
    @OptionGroup var target: AccountAtHeight
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let ledger = try data.open()
            let (a, at) = try target.resolve(ledger)
            let account = a.id
            let value = try ledger.store.balances(at: at).first { $0.account == account }?.balance ?? 0
            let text = Amount.format(value, minorDigits: ledger.genesis.minorDigits(a.currency) ?? 0)
            if output.json {
                printJSON(["account": .string(account), "currency": .string(a.currency), "balance": .string(text), "height": .int(at)])
            } else {
                print("\(account) \(text) \(a.currency) at height \(at)")
            }
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the ledger's head and pending pool, or with an id one notice's status.",
        discussion: """
            A notice is pending (with the signatures its policy still needs), complete (waiting for the \
            next block), committed (with its height; `cairn prove` gives its proof) or rejected (with the reason).
            """)

    @OptionGroup var target: LedgerOrNode
    @Argument(help: "A notice id.") var id: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            if let id { return try showNotice(id) }
            guard !target.isRemote else { throw CairnError(.usage, "with --node, give a notice id") }
            let ledger = try target.open()
            let h = ledger.head.header
            let (pending, complete) = try ledger.store.pendingCount()
            if output.json {
                printJSON([
                    "origin": .string(ledger.genesis.origin), "genesis": .string(ledger.genesis.hash.hex),
                    "height": .int(h.height), "hash": .string(ledger.head.hash.hex), "time": .string(h.time.description),
                    "logSize": .int(h.logSize), "logRoot": .string(h.logRoot.hex), "stateRoot": .string(h.stateRoot.hex),
                    "stateSize": .int(h.stateSize),
                    "pending": .int(pending), "complete": .int(complete),
                ])
            } else {
                print("ledger \(ledger.genesis.origin)")
                print("  head: block \(h.height) \(ledger.head.hash.hex) at \(h.time)")
                print("  log: \(h.logSize) leaves, root \(h.logRoot.hex)")
                print("  pending: \(pending) waiting for signatures, \(complete) complete")
            }
        }
    }

    func showNotice(_ id: String) throws {
        let o: JSONObject
        if target.isRemote {
            o = try target.remote.with { client in
                guard case .object(let o)? = try await client.request("GET", "/v1/notices/\(id)").json else {
                    throw CairnError(.storage, "the node's answer is not JSON")
                }
                return o
            }
        } else {
            let ledger = try target.open()
            guard let found = try noticeStatus(store: ledger.store, state: ledger.state, id: id, now: now()) else {
                throw CairnError(.notFound, "notice \(id) is not known")
            }
            o = found
        }
        if output.json { return printJSON(o) }
        print("notice \(id)")
        for key in ["status", "height", "leafIndex", "code", "reason", "missing"] {
            switch o[key] {
            case .string(let v)?: print("  \(key): \(v)")
            case .number(let v)?: print("  \(key): \(Int64(v))")
            default: break
            }
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the whole chain from genesis and check every signature, root, balance and index.")

    @OptionGroup var data: DataOption
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let store = try SQLiteStore.open(path: LedgerDirectory(data.data).database, cacheKiB: SQLiteStore.scanCacheKiB)
            let verifier = ChainVerifier(store: store, progress: Progress.terminal("verifying block"))
            switch try verifier.verify() {
            case .success(let r):
                if output.json {
                    printJSON([
                        "ok": .bool(true), "blocks": .int(r.blocks), "leaves": .int(r.leaves), "signatures": .int(r.signatures),
                        "rejected": .int(r.rejected),
                    ])
                } else {
                    print("ok: \(r.blocks) blocks, \(r.leaves) notices, \(r.signatures) signatures, \(r.rejected) rejections verified")
                }
            case .failure(let f):
                throw CairnError(.invalidBlock, f.description)
            }
        }
    }
}

/// An account, optionally its expected currency, and a height: for `balance` and `prove-balance`.
struct AccountAtHeight: ParsableArguments {
    @Argument(help: "The account, like bank-a.example/eur.") var account: String
    @Option(help: "Only if the account holds this currency.") var currency: String?
    @Option(help: "After this block (default: the latest).") var height: UInt64?

    /// The account and the height, checked against the ledger.
    func resolve(_ ledger: Ledger) throws -> (Account, UInt64) {
        guard let a = ledger.genesis.account(account) else { throw CairnError(.unknownAccount, "unknown account \(account)") }
        if let currency, currency != a.currency {
            throw CairnError(.currencyMismatch, "account \(account) holds \(a.currency), not \(currency)")
        }
        let at = height ?? ledger.head.header.height
        guard at <= ledger.head.header.height else {
            throw CairnError(.notFound, "no block at height \(at) (the head is \(ledger.head.header.height))")
        }
        return (a, at)
    }
}

/// `{"instance", "cause": "notice"|"timeout", "notice"?, "account", "amount", "currency", "direction"}`
/// of a contract movement.
func movementJSON(_ m: ContractMovement, genesis: Genesis) -> JSONValue {
    var o = JSONObject([
        ("instance", .string(m.instance)), ("account", .string(m.account)),
        ("amount", .string(Amount.format(abs(m.amount), minorDigits: genesis.minorDigits(m.currency) ?? 0))),
        ("currency", .string(m.currency)), ("direction", .string(m.amount < 0 ? "debit" : "credit")),
        ("cause", .string(m.notice == nil ? "timeout" : "notice")),
    ])
    if let n = m.notice { o["notice"] = .string(n) }
    return .object(o)
}

/// "paid 100.00 EUR to ACC from instance I (timeout)", or "locked 100.00 EUR from ACC into instance I (notice N)".
func movementText(_ m: ContractMovement, genesis: Genesis) -> String {
    let amount = "\(Amount.format(abs(m.amount), minorDigits: genesis.minorDigits(m.currency) ?? 0)) \(m.currency)"
    let cause = m.notice.map { "notice \($0)" } ?? "timeout"
    return m.amount < 0
        ? "locked \(amount) from \(m.account) into instance \(m.instance) (\(cause))"
        : "paid \(amount) to \(m.account) from instance \(m.instance) (\(cause))"
}
