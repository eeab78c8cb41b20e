import ArgumentParser
import CairnCore
import CairnScript
import CairnStore

struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Check a contract and print the auditor's report (see docs/contracts.md).",
        subcommands: [Check.self, ContractReport.self])

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
                    throw CairnError(CairnError.Code(rawValue: "invalid_contract"), errors.first ?? "\(file) does not compile")
                }
                let report = contract.report()
                print(output.json ? report.json : report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
            }
        }
    }
}
