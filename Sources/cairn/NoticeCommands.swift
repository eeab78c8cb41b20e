import ArgumentParser
import CairnCore
import CairnStore

struct NoticeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notice", abstract: "Print the body of a new notice, ready to sign.",
        subcommands: [Transfer.self, Deposit.self, MemberUpdate.self])

    /// Fields every notice shares.
    struct Common: ParsableArguments {
        @Option(help: "A business reference, e.g. an ISO 20022 UETR or end-to-end id.") var reference: String?
        @Option(help: "Comma-separated ids of earlier notices this one settles, reverses or depends on.") var refs: String?
        @Option(help: "How long the notice may wait to be committed: like 24h, 30m, 7d, 1h30m.") var expires = "24h"
        @Option(help: "A genesis file, to look up default submitters.") var genesis: String?
        @Option(help: "A data directory, to look up default submitters from its genesis.") var data: String?

        func loadGenesis() throws -> Genesis? {
            if let genesis { return try Genesis(bytes: try readBytes(genesis)) }
            if let data { return try LedgerDirectory(data).open().genesis }
            return nil
        }

        /// The body's common fields around `fields`, keys in any order (the body is canonicalized when signed).
        func body(kind: String, submitter: String, fields: [(String, JSONValue)]) throws -> JSONValue {
            let created = now()
            guard let ttl = parseDuration(expires), ttl > 0 else {
                throw CairnError(.usage, "--expires \"\(expires)\" is not a positive duration like 24h, 30m or 7d")
            }
            var members: [(key: String, value: JSONValue)] = [("kind", .string(kind)), ("submitter", .string(submitter))]
            members += fields.map { (key: $0.0, value: $0.1) }
            if let reference { members.append(("reference", .string(reference))) }
            let refList =
                refs.map { $0.split(separator: ",").map { JSONValue.string(String($0).trimmingCharacters(in: .whitespaces)) } } ?? []
            members += [
                ("refs", .array(refList)), ("nonce", .string(Hex.encode(randomBytes(16)))),
                ("createdAt", .string(created.description)), ("expiresAt", .string(created.adding(seconds: ttl).description)),
            ]
            let value = JSONValue.object(JSONObject(members))
            _ = try Notice(body: value)  // refuse to print a body the ledger would refuse to parse
            return value
        }
    }

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A transfer between two accounts.")
        @Option(help: "The paying account.") var from: String
        @Option(help: "The receiving account.") var to: String
        @Option(help: "The amount, a decimal with the currency's minor digits, like 1250.00.") var amount: String
        @Option(help: "The currency code, like EUR.") var currency: String
        @Option(help: "The submitting member (default: the owner of --from).") var submitter: String?
        @OptionGroup var common: Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                let body = try common.body(
                    kind: "transfer", submitter: submitter ?? Account.owner(of: from),
                    fields: [("from", .string(from)), ("to", .string(to)), ("amount", .string(amount)), ("currency", .string(currency))])
                print(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
        }
    }

    struct Deposit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A deposit into an account by an issuer.")
        @Option(help: "The receiving account.") var to: String
        @Option(help: "The amount, a decimal with the currency's minor digits.") var amount: String
        @Option(help: "The currency code.") var currency: String
        @Option(help: "The submitting member (default: the issuer in genesis, given --genesis or --data).") var submitter: String?
        @OptionGroup var common: Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                var who = submitter
                if who == nil, let g = try common.loadGenesis() { who = g.members(withRole: "issuer").first }
                guard let who else {
                    throw CairnError(.usage, "a deposit needs --submitter, or --genesis or --data to find the issuer")
                }
                let body = try common.body(
                    kind: "deposit", submitter: who,
                    fields: [("to", .string(to)), ("amount", .string(amount)), ("currency", .string(currency))])
                print(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
        }
    }

    struct MemberUpdate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "member-update", abstract: "A key rotation, signed under the governance policy.")
        @Option(help: "The member whose keys change.") var member: String
        @Option(help: "A vkey to add.") var addKey: [String] = []
        @Option(help: "A vkey to remove.") var removeKey: [String] = []
        @Option(help: "The submitting member (default: --member).") var submitter: String?
        @OptionGroup var common: Common
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                var fields: [(String, JSONValue)] = [("member", .string(member))]
                if !addKey.isEmpty { fields.append(("addKeys", .array(addKey.map(JSONValue.string)))) }
                if !removeKey.isEmpty { fields.append(("removeKeys", .array(removeKey.map(JSONValue.string)))) }
                let body = try common.body(kind: "member.update", submitter: submitter ?? member, fields: fields)
                print(String(decoding: JSON.canonical(body), as: UTF8.self))
            }
        }
    }
}

/// `24h`, `30m`, `90s`, `7d`, or a sequence like `1h30m`, in seconds.
func parseDuration(_ text: String) -> Int64? {
    var total: Int64 = 0
    var number: Int64?
    for c in text {
        if let d = c.wholeNumberValue, c.isASCII {
            number = (number ?? 0) * 10 + Int64(d)
            guard number! < 1_000_000_000 else { return nil }
        } else {
            guard let n = number else { return nil }
            switch c {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86_400
            default: return nil
            }
            number = nil
        }
    }
    return number == nil && !text.isEmpty ? total : nil
}
