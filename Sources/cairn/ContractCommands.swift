import ArgumentParser
import CairnCore
import CairnLedger
import CairnScript
import CairnStore
import Foundation

struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Check a contract and print the auditor's report (see docs/contracts.md).",
        subcommands: [Check.self, ContractReport.self, Conform.self, Deploy.self, Open.self, Act.self, ShowInstance.self])

    /// Reads and compiles a contract source; errors read `FILE:LINE:COLUMN: code: message`.
    static func compile(_ file: String) throws -> (Contract?, [String], [String]) {
        let source = try readText(file)
        switch Contract.compile(source) {
        case .success(let c):
            return (c, [], c.lints.map { "\(file):\($0.line):\($0.column): warning: \($0.code): \($0.message)" })
        case .failure(let errors):
            return (nil, errors.map { "\(file):\($0.line):\($0.column): \($0.code): \($0.message)" }, [])
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report every error and lint with its position; exit 1 on any error.")
        @Argument(help: "The contract source file.") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let (contract, errors, lints) = try ContractCommand.compile(file)
                if output.json {
                    var o = JSONObject([
                        ("ok", .bool(contract != nil)), ("errors", .array(errors.map(JSONValue.string))),
                        ("lints", .array(lints.map(JSONValue.string))),
                    ])
                    if let c = contract {
                        o["hash"] = .string(c.hash)
                        o["stepBound"] = .int(c.stepBound)
                    }
                    printJSON(o)
                } else {
                    for line in errors + lints { print(line) }
                    if let c = contract { print("ok: \(file) compiles; contract \(c.hash), at most \(c.stepBound) steps") }
                }
                if contract == nil {
                    printErr("cairn: invalid_contract: \(file) has \(errors.count) error\(errors.count == 1 ? "" : "s")")
                    throw ExitCode(1)
                }
            }
        }
    }

    struct ContractReport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "The auditor's report: authority matrix, worst case, terminal states, liveness, lints.")
        @Argument(help: "The contract source file.") var file: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let (contract, errors, _) = try ContractCommand.compile(file)
                guard let contract else {
                    throw CairnError(.invalidContract, errors.first ?? "\(file) does not compile")
                }
                let report = contract.report()
                print(output.json ? report.json : report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
            }
        }
    }

    struct Conform: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run conformance corpus files (Tests/Vectors/contracts/*.json): a line per failed row, then N passed, M failed.",
            discussion: """
                Each file is a JSON array of rows (docs/contracts.md, "Conformance corpus"). A row that names \
                a contract by NAME reads DIR/NAME.cairn. Exits 1 if any row fails or any file cannot be \
                read or is not a corpus.
                """)
        @Argument(help: "Corpus files.") var files: [String]
        @Option(name: .customLong("contracts"), help: "The directory of the contracts rows name (default: Contracts).")
        var contractsDir: String?

        func run() throws {
            // Without --contracts, a missing ./Contracts is no error: rows may carry their sources,
            // and a row naming a contract that is not there fails as "bad_row no contract".
            let dir = contractsDir ?? "Contracts"
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: dir)
            } catch {
                if contractsDir != nil {
                    printErr(
                        "cairn: \(CairnError.Code.notFound): couldn't read the contracts directory \(dir): \(error.localizedDescription)")
                    throw ExitCode(1)
                }
                names = []
            }
            var contracts: [String: String] = [:]
            for file in names.sorted() where file.hasSuffix(".cairn") {
                do {
                    contracts[String(file.dropLast(6))] = try readText(dir + "/" + file)
                } catch let e as CairnError {
                    printErr("cairn: \(e.code): \(e.message)")
                    throw ExitCode(1)
                }
            }
            var passed = 0
            var failed = 0
            var unusable = 0
            for file in files {
                let outcomes: [Conformance.Outcome]
                do {
                    outcomes = try Conformance.check(try readText(file), contracts: contracts)
                } catch let e as CairnScript.JSON.ParseError {
                    printErr("cairn: \(CairnError.Code.malformedJSON): \(file):\(e.line):\(e.column): \(e.message)")
                    unusable += 1
                    continue
                } catch let e as CairnError {
                    printErr("cairn: \(e.code): \(e.message)")
                    unusable += 1
                    continue
                }
                let bad = outcomes.filter { !$0.passed }
                for o in bad {
                    print("\(file):\(o.line): row \(o.index) \(quoted(o.desc)): want \(quoted(o.want)), got \(quoted(o.got))")
                }
                print("\(file): \(outcomes.count - bad.count) passed, \(bad.count) failed")
                passed += outcomes.count - bad.count
                failed += bad.count
            }
            let notRun = unusable > 0 ? ", \(unusable) file\(unusable == 1 ? "" : "s") not run" : ""
            print("total: \(passed) passed, \(failed) failed\(notRun)")
            if failed > 0 || unusable > 0 { throw ExitCode(1) }
        }

        /// In double quotes, with quotes, backslashes and line breaks escaped as in JSON.
        func quoted(_ s: String) -> String {
            var out = "\""
            for c in s {
                switch c {
                case "\"", "\\": out += "\\" + String(c)
                case "\n": out += "\\n"
                default: out.append(c)
                }
            }
            return out + "\""
        }
    }

    /// `name=value` pairs into a JSON object of strings (the ledger converts by declared type).
    static func pairs(_ items: [String], option: String) throws -> JSONObject {
        var o = JSONObject()
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw CairnError(.usage, "\(option) \"\(item)\" is not name=value")
            }
            let name = String(item[..<eq])
            guard o[name] == nil else { throw CairnError(.usage, "\(option) \(name) is given twice") }
            o[name] = .string(String(item[item.index(after: eq)...]))
        }
        return o
    }

    struct Deploy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a contract.deploy body for a source file (signed under the governance policy).")
        @Argument(help: "The contract source file.") var file: String
        @Option(help: "The submitting member.") var submitter: String
        @OptionGroup var common: NoticeCommand.Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let (contract, errors, _) = try ContractCommand.compile(file)
                guard contract != nil else { throw CairnError(.invalidContract, errors[0]) }
                let body = try common.body(
                    kind: "contract.deploy", submitter: submitter,
                    fields: [("language", .int(Contract.languageVersion)), ("source", .string(try readText(file)))])
                print(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
        }
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a contract.open body: a new instance of a deployed contract, with its opening deposits.",
            discussion: """
                Parameters are name=value: members, accounts and currencies by name, amounts as "125.00 EUR", \
                times in RFC 3339 UTC, hashes in lowercase hex, ints in decimal. A deposit is ACCOUNT=AMOUNT, \
                e.g. bank-a.example/eur=125.00; it is locked in the instance, and the account's owner must sign.
                """)
        @Option(help: "The contract's hash (from contract check).") var contract: String
        @Option(help: "A parameter, name=value.") var param: [String] = []
        @Option(help: "An opening deposit, ACCOUNT=AMOUNT (the account's currency).") var deposit: [String] = []
        @Option(help: "The submitting member.") var submitter: String
        @OptionGroup var common: NoticeCommand.Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let genesis = try common.loadGenesis()
                var deposits: [JSONValue] = []
                for (name, value) in try ContractCommand.pairs(deposit, option: "--deposit").members {
                    guard let currency = genesis?.account(name)?.currency else {
                        throw CairnError(.unknownAccount, "--deposit \(name): unknown account (give --data or --genesis to look it up)")
                    }
                    deposits.append(.object(JSONObject([("from", .string(name)), ("amount", value), ("currency", .string(currency))])))
                }
                let body = try common.body(
                    kind: "contract.open", submitter: submitter,
                    fields: [
                        ("contract", .string(contract)), ("params", .object(try ContractCommand.pairs(param, option: "--param"))),
                        ("deposits", .array(deposits)),
                    ])
                print(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
        }
    }

    struct Act: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a contract.act body: an action on an open instance.")
        @Option(help: "The instance: the id of its contract.open notice.") var instance: String
        @Option(help: "The action's name.") var action: String
        @Option(help: "An argument, name=value (the same forms as parameters).") var arg: [String] = []
        @Option(help: "The submitting member.") var submitter: String
        @OptionGroup var common: NoticeCommand.Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let body = try common.body(
                    kind: "contract.act", submitter: submitter,
                    fields: [
                        ("instance", .string(instance)), ("action", .string(action)),
                        ("args", .object(try ContractCommand.pairs(arg, option: "--arg"))),
                    ])
                print(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
        }
    }

    struct ShowInstance: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a contract instance: its contract, locked funds, next timeout and history.")
        @OptionGroup var data: DataOption
        @Argument(help: "The instance id (the id of its contract.open notice).") var instance: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let ledger = try data.open()
                guard let opened = try ledger.store.notice(instance), opened.status == .committed, let openIndex = opened.leafIndex,
                    let openNotice = try? Envelope(leaf: try ledger.store.leaves(from: openIndex, count: 1)[0]).notice,
                    openNotice.kind == .contractOpen, let hash = openNotice.contract?.contract
                else { throw CairnError(.notFound, "no contract instance \(instance)") }
                // History: the opening notice, then every action on this instance and every
                // timeout that fired on it, in order, each with the money it moved (worked out
                // again by replaying the blocks that changed the instance).
                var history: [(height: UInt64, id: String, what: String, moved: [ContractMovement])] = [
                    (opened.height ?? 0, instance, "open", [])
                ]
                for index in try ledger.store.leafIndices(kind: "contract.act", below: ledger.head.header.logSize) {
                    let e = try Envelope(leaf: try ledger.store.leaves(from: index, count: 1)[0])
                    guard let f = e.notice.contract, f.instance == instance else { continue }
                    let height = try ledger.store.notice(e.notice.id)?.height ?? 0
                    history.append((height, e.notice.id, "\(f.action ?? "") by \(e.signatures.map(\.signer).joined(separator: ", "))", []))
                }
                for height in try ledger.store.instanceHeights(instance, from: opened.height ?? 0, through: ledger.head.header.height) {
                    let (fired, movements) = try ledger.movements(inBlock: height)
                    let mine = movements.filter { $0.instance == instance }
                    if fired.contains(instance) {
                        // Timeouts fire at the start of the block, before its notices.
                        let at = history.firstIndex { $0.height >= height } ?? history.count
                        history.insert((height, "timeout", "timeout fired", mine.filter { $0.notice == nil }), at: at)
                    }
                    for (i, h) in history.enumerated() where h.id != "timeout" {
                        history[i].moved += mine.filter { $0.notice == h.id }
                    }
                }
                let g = ledger.genesis
                let open = ledger.state.instance(instance)
                let locked = (open?.state.locked ?? []).map {
                    "\(Amount.format($0.amount, minorDigits: g.minorDigits($0.currency) ?? 0)) \($0.currency)"
                }
                let timeout = open?.state.nextTimeout.map { Timestamp(seconds: $0).description }
                let name = ledger.state.contracts[hash]?.name ?? ""
                if output.json {
                    printJSON([
                        "instance": .string(instance), "contract": .string(hash), "name": .string(name), "open": .bool(open != nil),
                        "locked": .array(locked.map(JSONValue.string)), "nextTimeout": .optional(timeout),
                        "history": .array(
                            history.map {
                                .object(
                                    JSONObject([
                                        ("height", .int($0.height)), ("id", .string($0.id)), ("what", .string($0.what)),
                                        ("movements", .array($0.moved.map { movementJSON($0, genesis: g) })),
                                    ]))
                            }),
                    ])
                } else {
                    print("instance \(instance) (\(open == nil ? "closed" : "open"))")
                    print("  contract: \(name) \(hash)")
                    print("  locked: \(locked.isEmpty ? "nothing" : locked.joined(separator: ", "))")
                    print("  next timeout: \(timeout ?? "none")")
                    for h in history {
                        print("  height \(h.height): \(h.what)\(h.id == "timeout" ? "" : " (\(h.id))")")
                        for m in h.moved { print("    \(movementText(m, genesis: g))") }
                    }
                }
            }
        }
    }
}
