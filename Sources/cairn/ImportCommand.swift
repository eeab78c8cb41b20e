import ArgumentParser
import CairnCore
import CairnExport
import CairnLedger
import CairnNode
import CairnStore
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn an ISO 20022 pacs.008.001.08 credit transfer into transfer notice bodies, ready to sign.",
        discussion: """
            The document is validated against the pacs.008 schema first. Accounts map to genesis accounts \\
            through --map, a JSON table {"accounts": {"<IBAN or Othr/Id>": "<account>"}, "agents": {"<BIC>": \\
            "<member>"}} (see docs/iso20022.md); an agent maps to its member's account in the settlement \\
            currency. Errors name the XML path. Nothing is written unless every transaction converts.

            Importing is idempotent: a payment's notice takes its nonce from the payment's identity (its UETR, \\
            or its EndToEndId and instructing agent) and its times from the document, so the same payment \\
            gives the same notice id every time, and the ledger refuses it a second time (duplicate_notice). \\
            With --data or --node the ledger is asked first: payments already on it are reported with \\
            their notice id and status, and only the new ones are written. The exit status is 0 either way.
            """)

    enum Format: String, ExpressibleByArgument { case pacs008 = "pacs.008" }

    @Option(help: "pacs.008 (the only format so far).") var format: Format
    @Option(help: "The genesis file.") var genesis: String
    @Option(help: "The account map JSON file.") var map: String?
    @Option(
        help: """
            Write each new body as DIR/<n>.json (n: the position of its CdtTrfTxInf) instead of JSON Lines on \
            stdout. DIR must be missing or empty; it appears complete or not at all.
            """)
    var outDir: String?
    @Option(
        help: """
            How long after the payment's settlement date (else the message's creation time) its notice may \
            be committed. Part of the notice: import a payment again with the same value.
            """)
    var expires = "48h"
    @Option(help: "Ask this ledger which payments are already on it; only the new ones are written.") var data: String?
    @OptionGroup var remote: NodeOptions
    @Argument(help: "The pacs.008 XML file.") var file: String
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard data == nil || remote.node == nil else { throw ValidationError("give --data DIR or --node URL, not both") }
    }

    /// One payment of the document and its notice.
    struct Payment {
        var intent: TransferIntent
        var id: String
        var body: JSONValue
        /// `body` as canonical JSON text.
        var text: String
        var expiresAt: Timestamp
        /// Where `file` has it, e.g. `CdtTrfTxInf[2]`.
        var place: String
        /// What the ledger knows of its notice: nil when nothing (or when no ledger was asked).
        var onLedger: JSONObject?
    }

    func run() throws {
        try CairnCLI.run(output) {
            let g = try Genesis(bytes: try readBytes(genesis))
            var payments = try convert(g)
            let checked = data != nil || remote.node != nil
            if checked {
                let known = try lookUp(payments.map(\.id), genesis: g)
                for i in payments.indices { payments[i].onLedger = known[payments[i].id] }
            }
            // A payment the ledger does not hold must still be able to settle.
            let clock = now()
            for p in payments where p.onLedger == nil && p.expiresAt < clock {
                throw CairnError(
                    .expired,
                    "\(file): \(p.intent.path): the payment's notice would have expired at \(p.expiresAt) (\(p.intent.createdAtPath) \(p.intent.createdAt) + --expires \(expires)); it is now \(clock)"
                        + (checked
                            ? ""
                            : ". It may be on the ledger already: give --data or --node to check, before a longer --expires makes a new notice")
                )
            }
            let fresh = payments.enumerated().filter { $0.element.onLedger == nil }
            if let outDir, !fresh.isEmpty {
                try buildDirectory(at: outDir) { staging in
                    for (i, p) in fresh { try Data((p.text + "\n").utf8).write(to: URL(fileURLWithPath: "\(staging)/\(i + 1).json")) }
                }
            }
            report(payments, checked: checked)
        }
    }

    /// The notice of every payment, checked as the ledger would check it (so a body that would be
    /// refused is not written), with its nonce and times taken from the document.
    func convert(_ g: Genesis) throws -> [Payment] {
        let accounts = g.accounts
        let accountFor: @Sendable (String, String) -> String? = { member, currency in
            accounts.first { $0.owner == member && $0.currency == currency }?.id
        }
        let table: AccountMap
        do {
            table = try map.map { try AccountMap(json: try readBytes($0), accountFor: accountFor) } ?? AccountMap(accountFor: accountFor)
        } catch let e as CairnError { throw e } catch { throw CairnError(.invalidField, "\(map ?? ""): \(error)") }
        let intents: [TransferIntent]
        switch Pacs008Reader.read(try readBytes(file), accounts: table) {
        case .success(let i): intents = i
        case .failure(let issues):
            let first = issues[0]
            throw CairnError(
                .invalidField,
                "\(file):\(first.line): \(first.path): \(first.message)\(issues.count > 1 ? " (and \(issues.count - 1) more)" : "")")
        }
        guard let ttl = parseDuration(expires), ttl > 0 else { throw CairnError(.usage, "--expires \"\(expires)\" is not a duration") }
        return try intents.map { t in
            for account in [t.from, t.to] {
                guard let a = g.account(account) else {
                    throw CairnError(.unknownAccount, "\(file): \(t.path): unknown account \(account)")
                }
                guard a.currency == t.currency else {
                    throw CairnError(.currencyMismatch, "\(file): \(t.path): account \(account) holds \(a.currency), not \(t.currency)")
                }
            }
            guard let digits = g.minorDigits(t.currency), let minor = Amount.parse(t.amount, minorDigits: digits), minor > 0 else {
                throw CairnError(
                    .invalidAmount, "\(file): \(t.path): \"\(t.amount)\" is not a positive \(t.currency) amount with its minor digits")
            }
            let expiresAt = t.createdAt.adding(seconds: ttl)
            let body = JSONValue.object(
                JSONObject([
                    ("kind", "transfer"), ("submitter", .string(Account.owner(of: t.from))), ("from", .string(t.from)),
                    ("to", .string(t.to)), ("amount", .string(t.amount)), ("currency", .string(t.currency)),
                    ("reference", .string(t.reference)), ("refs", []), ("nonce", .string(t.identity.nonce(index: 0))),
                    ("createdAt", .string(t.createdAt.description)), ("expiresAt", .string(expiresAt.description)),
                ]))
            let notice: Notice
            do throws(CairnError) { notice = try Notice(body: body) } catch {
                throw CairnError(error.code, "\(file): \(t.path): \(error.message)")
            }
            let place = t.path.split(separator: "/").last.map(String.init) ?? t.path
            return Payment(
                intent: t, id: notice.id, body: body, text: String(decoding: JSON.canonical(body), as: UTF8.self), expiresAt: expiresAt,
                place: place)
        }
    }

    /// What the ledger (--data) or the node (--node) knows of each id, as `cairn status ID` shows it.
    func lookUp(_ ids: [String], genesis g: Genesis) throws -> [String: JSONObject] {
        if let data {
            let ledger = try LedgerDirectory(data).open()
            guard ledger.genesis.hash == g.hash else {
                throw CairnError(.usage, "the ledger in \(data) is of another genesis than \(genesis)")
            }
            var out: [String: JSONObject] = [:]
            for (id, r) in try ledger.store.notices(ids) {
                var o = JSONObject([("id", .string(id)), ("status", .string(r.status.rawValue))])
                if let h = r.height, r.status == .committed || r.status == .rejected { o["height"] = .int(h) }
                if let c = r.code { o["code"] = .string(c) }
                out[id] = o
            }
            return out
        }
        let origin = g.origin
        return try remote.with { client in
            let checkpoint = try await client.request("GET", "/checkpoint").text
            guard checkpoint.split(separator: "\n").first.map(String.init) == origin else {
                throw CairnError(.usage, "the node serves another ledger than \(origin)")
            }
            var out: [String: JSONObject] = [:]
            for id in ids {
                let a = try await client.send("GET", "/v1/notices/\(id)")
                if a.status == 404 { continue }
                guard a.status < 400, case .object(let o)? = a.json else { throw NodeClient.error(a) }
                out[id] = o
            }
            return out
        }
    }

    /// Each payment and what became of it on stderr (the bodies go to stdout or --out-dir), or
    /// one JSON object with --json.
    func report(_ payments: [Payment], checked: Bool) {
        let written = payments.filter { $0.onLedger == nil }
        if output.json {
            var items: [JSONValue] = []
            for p in payments {
                var o = JSONObject([
                    ("path", .string(p.intent.path)), ("payment", .string(p.intent.identity.description)), ("id", .string(p.id)),
                ])
                if let known = p.onLedger {
                    o["status"] = known["status"] ?? .string("known")
                    if let h = known["height"] { o["height"] = h }
                    if let c = known["code"] { o["code"] = c }
                } else {
                    o["status"] = .string(checked ? "new" : "unchecked")
                    if outDir == nil { o["body"] = p.body }
                }
                items.append(.object(o))
            }
            var summary = JSONObject([
                ("payments", .array(items)), ("written", .int(written.count)),
                ("onLedger", .int(payments.count - written.count)),
            ])
            if let outDir, !written.isEmpty { summary["outDir"] = .string(outDir) }
            printJSON(summary)
            return
        }
        if outDir == nil { for p in written { print(p.text) } }
        for p in payments {
            let head = "\(file): \(p.place) (\(p.intent.identity)): notice \(p.id)"
            guard let known = p.onLedger else {
                printErr(head + (checked ? " new" : ""))
                continue
            }
            let status = known["status"]?.stringValue ?? "known"
            var line = head + " is already on the ledger, \(status)"
            if case .number(let h)? = known["height"] { line += " at height \(Int64(h))" }
            if let code = known["code"]?.stringValue { line += " (\(code))" }
            switch status {
            case "pending": line += "; co-sign it with `cairn cosign`, not a new body"
            case "rejected": line += "; the same payment cannot be imported again"
            default: break
            }
            printErr(line + "; not written")
        }
        let wrote = "wrote \(written.count) transfer bod\(written.count == 1 ? "y" : "ies")" + (outDir.map { " to \($0)" } ?? "")
        if checked {
            printErr(
                "\(written.count) new, \(payments.count - written.count) already on the ledger"
                    + (written.isEmpty ? "; nothing written" : "; " + wrote))
        } else {
            printErr(wrote + " (not checked against a ledger: --data or --node leaves out those on it)")
        }
    }
}
