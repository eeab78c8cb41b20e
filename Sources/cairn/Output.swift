import ArgumentParser
import CairnCore
import Foundation

/// `--json` for every command.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON.") var json = false
}

enum CairnCLI {
    /// Runs a command body; any error becomes one line on stderr (and a JSON error object on stdout
    /// with `--json`) and exit status 1.
    static func run(_ output: OutputOptions, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            let e = (error as? CairnError) ?? CairnError(.storage, "\(error)")
            if output.json {
                printJSON(["error": .object(JSONObject([("code", .string(e.code.rawValue)), ("message", .string(e.message))]))])
            }
            FileHandle.standardError.write(Data("cairn: \(e.code): \(e.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

func printJSON(_ object: JSONObject) {
    print(String(decoding: JSON.canonical(.object(object)), as: UTF8.self))
}

func printJSON(_ pairs: KeyValuePairs<String, JSONValue>) {
    printJSON(JSONObject(pairs.map { ($0.key, $0.value) }))
}

func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The clock, read only here. `CAIRN_NOW` (RFC 3339) overrides it, for tests and replays.
func now() -> Timestamp {
    if let text = ProcessInfo.processInfo.environment["CAIRN_NOW"], let t = Timestamp(rfc3339: text) { return t }
    return Timestamp(seconds: Int64(Date().timeIntervalSince1970))
}

func randomBytes(_ n: Int) -> [UInt8] {
    var rng = SystemRandomNumberGenerator()
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

extension JSONValue {
    static func int(_ v: some BinaryInteger) -> JSONValue { .number(Double(v)) }
    static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
}

/// A progress line on stderr, only when stderr is a terminal, at most five times a second.
enum Progress {
    static func terminal(_ what: String) -> (UInt64, UInt64) -> Void {
        guard isatty(STDERR_FILENO) == 1 else { return { _, _ in } }
        nonisolated(unsafe) var last = Date.distantPast
        return { current, total in
            guard Date().timeIntervalSince(last) > 0.2 || current == total else { return }
            last = Date()
            FileHandle.standardError.write(Data("\r\(what) \(current) of \(total)".utf8))
            if current == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
