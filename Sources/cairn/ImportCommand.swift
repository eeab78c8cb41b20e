import ArgumentParser
import CairnCore
import CairnExport
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
            """)

    enum Format: String, ExpressibleByArgument { case pacs008 = "pacs.008" }

    @Option(help: "pacs.008 (the only format so far).") var format: Format
    @Option(help: "The genesis file.") var genesis: String
    @Option(help: "The account map JSON file.") var map: String?
    @Option(help: "Write one body per transaction as DIR/<n>.json instead of JSON Lines on stdout.") var outDir: String?
    @Option(help: "How long the notices may wait to be committed.") var expires = "24h"
    @Argument(help: "The pacs.008 XML file.") var file: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let g = try Genesis(bytes: try readBytes(genesis))
            let accounts = g.accounts
            let accountFor: @Sendable (String, String) -> String? = { member, currency in
                accounts.first { $0.owner == member && $0.currency == currency }?.id
            }
            let table: AccountMap
            do {
                table =
                    try map.map { try AccountMap(json: try readBytes($0), accountFor: accountFor) } ?? AccountMap(accountFor: accountFor)
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
            let created = now()
            var bodies: [String] = []
            for t in intents {
                // The same checks the ledger makes, so a body that would be refused is not written.
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
                let body = JSONValue.object(
                    JSONObject([
                        ("kind", "transfer"), ("submitter", .string(Account.owner(of: t.from))), ("from", .string(t.from)),
                        ("to", .string(t.to)),
                        ("amount", .string(t.amount)), ("currency", .string(t.currency)), ("reference", .string(t.reference)), ("refs", []),
                        ("nonce", .string(Hex.encode(randomBytes(16)))), ("createdAt", .string(created.description)),
                        ("expiresAt", .string(created.adding(seconds: ttl).description)),
                    ]))
                _ = try Notice(body: body)
                bodies.append(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
            if let outDir {
                try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
                for (i, b) in bodies.enumerated() { try Data((b + "\n").utf8).write(to: URL(fileURLWithPath: "\(outDir)/\(i + 1).json")) }
                printErr("wrote \(bodies.count) transfer bodies to \(outDir)")
            } else {
                for b in bodies { print(b) }
            }
        }
    }
}
