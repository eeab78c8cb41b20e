import CairnScript
import Foundation
import Testing

/// The contract conformance corpus, `Tests/Vectors/contracts/*.json` (docs/contracts.md,
/// "Conformance corpus"), run row by row; and the rules the corpus itself must keep.
@Suite struct ConformanceTests {
    static let dir = Fixtures.root.appendingPathComponent("Tests/Vectors/contracts")

    /// Every corpus file, by name, with its rows' outcomes.
    static let corpus: [(file: String, outcomes: [Conformance.Outcome])] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let text = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
            do {
                return (name, try Conformance.check(text, contracts: Fixtures.allContracts))
            } catch {
                Issue.record("\(name):\(error)")
                return (name, [])
            }
        }
    }()

    /// The rows themselves, to see which contract each names.
    static let rows: [JSON] = corpus.flatMap { (file, _) -> [JSON] in
        let text = (try? String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)) ?? ""
        guard case .array(let rows)? = JSON.parse(text) else { return [] }
        return rows
    }

    /// `step_limit` cannot be reached while the checker's `stepBound` is right (PropertyTests check
    /// that real runs stay within it), so no row can show it.
    static let unreachable: Set<ScriptError.Code> = [.stepLimit]

    @Test func everyRowPasses() {
        #expect(Self.corpus.count >= 9)
        #expect(Self.corpus.reduce(0) { $0 + $1.outcomes.count } >= 150)
        for (file, outcomes) in Self.corpus {
            for o in outcomes where !o.passed {
                Issue.record("\(file):\(o.line): row \(o.index) \"\(o.desc)\": want \"\(o.want)\", got \"\(o.got)\"")
            }
        }
    }

    @Test func everyErrorCodeHasARow() {
        let wants = Self.corpus.flatMap { $0.outcomes.map(\.want) }
        var seen: Set<String> = []
        for w in wants where w.hasPrefix("error ") {
            for e in w.dropFirst(6).split(separator: " ") { seen.insert(String(e.split(separator: "@")[0])) }
        }
        let missing = ScriptError.Code.allCases.filter { !Self.unreachable.contains($0) && !seen.contains($0.rawValue) }
        #expect(missing.isEmpty, "no corpus row wants error \(missing.map(\.rawValue))")
        let lints = ScriptError.Lint.allCases.filter { l in !wants.contains { $0.hasPrefix("ok lints=[") && $0.contains(l.rawValue + "@") }
        }
        #expect(lints.isEmpty, "no corpus row wants lint \(lints.map(\.rawValue))")
        // Nothing the corpus wants is undeclared.
        let declared = Set(ScriptError.Code.allCases.map(\.rawValue))
        #expect(seen.subtracting(declared).isEmpty, "\(seen.subtracting(declared).sorted())")
    }

    @Test(arguments: ["escrow", "multisig", "timelock", "htlc", "dvp"])
    func everyShippedContractHasTwentyRows(_ name: String) {
        let count = Self.rows.filter { $0["contract"] == .string(name) }.count
        #expect(count >= 20, "\(name) has \(count) rows")
    }

    @Test func docsNameEveryCode() throws {
        let docs = try String(contentsOf: Fixtures.root.appendingPathComponent("docs/contracts.md"), encoding: .utf8)
        for code in ScriptError.Code.allCases.map(\.rawValue) + ScriptError.Lint.allCases.map(\.rawValue) {
            #expect(docs.contains("`\(code)`"), "docs/contracts.md does not mention `\(code)`")
        }
    }

    @Test func badRowsAreNamedNotRun() {
        let contracts = Fixtures.allContracts
        func run(_ text: String) -> String { Conformance.run(row: JSON.parse(text) ?? .null, contracts: contracts) }
        let compile = #""contract": "escrow", "input": {"op": "compile"}"#
        #expect(run("[]") == "bad_row a row is a JSON object")
        #expect(run(#"{"desc": "d", \#(compile), "want": "x", "wnat": "y"}"#) == #"bad_row unknown field "wnat""#)
        #expect(run(#"{\#(compile), "want": "x"}"#) == "bad_row desc must be a non-empty string")
        #expect(run(#"{"desc": "d", \#(compile)}"#) == "bad_row want must be a string")
        #expect(run(#"{"desc": "d", "contract": "nope", "input": {"op": "compile"}, "want": ""}"#) == #"bad_row no contract "nope""#)
        #expect(run(#"{"desc": "d", "contract": "escrow", "input": {"op": "run"}, "want": ""}"#) == #"bad_row unknown op "run""#)
        #expect(
            run(#"{"desc": "d", "contract": "escrow", "input": {"op": "compile", "params": {}}, "want": ""}"#)
                == #"bad_row op compile takes no "params""#)
        #expect(run(#"{"desc": "d", "contract": "escrow", "input": {"op": "advance"}, "want": ""}"#) == "bad_row op advance needs a state")
        // A state whose history fails is the row's mistake, not a result.
        let params =
            #"{"amount": 1000, "arbiter": "carol", "cur": "EUR", "deadline": 100, "final": 200, "payee": "bob", "payee_account": "bob/main", "payer": "alice", "payer_account": "alice/main"}"#
        let state =
            #"{"params": \#(params), "deposit": {"EUR": 1000}, "opened": 10, "history": [{"act": "release", "time": 20, "signers": ["carol"]}]}"#
        #expect(
            run(#"{"desc": "d", "contract": "escrow", "state": \#(state), "input": {"op": "state"}, "want": ""}"#)
                == "bad_row history[0] fails: error unauthorized@22:18")
        #expect(
            run(
                #"{"desc": "d", "contract": "escrow", "input": {"op": "open", "params": \#(params), "deposit": {"EUR": "1000"}}, "time": 0, "want": ""}"#
            )
                == "bad_row deposit amounts are integers")
    }

    @Test func malformedCorporaNameLineAndColumn() {
        #expect(throws: JSON.ParseError(line: 3, column: 2, message: "expected ',' or ']' in an array, found '{'")) {
            try Conformance.check("[\n{\"desc\": \"a\"}\n {\"desc\": \"b\"}]", contracts: [:])
        }
        #expect(throws: JSON.ParseError(line: 1, column: 1, message: "a corpus file is a JSON array of rows")) {
            try Conformance.check("{}", contracts: [:])
        }
        #expect(Conformance.runAll(json: "[1,", contracts: [:]) == ["bad_input 1:4: expected a JSON value, found the end of the text"])
        #expect(Conformance.runAll(json: "{}", contracts: [:]) == ["bad_input not a JSON array"])
    }

    @Test func outcomesCarryTheRowsLines() throws {
        let text = """
            [
              {"desc": "first", "contract": "escrow", "input": {"op": "compile"}, "want": "ok compiled steps=66 actions=release,refund"},

              {"desc": "second", "contract": "escrow", "input": {"op": "compile"}, "want": "wrong"}
            ]
            """
        let o = try Conformance.check(text, contracts: Fixtures.allContracts)
        #expect(o.map(\.line) == [2, 4] && o.map(\.passed) == [true, false] && o[1].desc == "second")
        #expect(o[1].got == "ok compiled steps=66 actions=release,refund")
    }
}

/// The small JSON reader behind the corpus: integers only, exact Int64, unique keys, positioned errors.
@Suite struct ScriptJSONTests {
    func error(_ text: String) -> JSON.ParseError? {
        do {
            _ = try JSON.parseLocated(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsWhatTheCorpusNeeds() throws {
        let (v, lines) = try JSON.parseLocated("[\n -9223372036854775808,\n 9223372036854775807, \"a\\u00e9\\ud83d\\ude00\\/\\b\"]")
        #expect(v == .array([.int(.min), .int(.max), .string("aé😀/\u{8}")]))
        #expect(lines == [2, 3, 3])
    }

    @Test func refusesWithPositions() {
        #expect(error("{\"a\": 1, \"a\": 2}") == JSON.ParseError(line: 1, column: 10, message: "duplicate key \"a\""))
        #expect(error("[9223372036854775808]")?.message == "the number does not fit in Int64")
        #expect(error("[1.5]") == JSON.ParseError(line: 1, column: 2, message: "only integers are allowed"))
        #expect(error("\"\\x\"") == JSON.ParseError(line: 1, column: 2, message: "an unknown escape '\\x'"))
        #expect(error("\n  \"é\u{1}\"") == JSON.ParseError(line: 2, column: 5, message: "a control character in a string must be escaped"))
        #expect(error("[\"open") == JSON.ParseError(line: 1, column: 2, message: "unterminated string"))
        #expect(error("[] x") == JSON.ParseError(line: 1, column: 4, message: "unexpected text after the JSON value"))
        #expect(error(String(repeating: "[", count: 65))?.message == "nested deeper than 64 levels")
        #expect(error("[tru]") == JSON.ParseError(line: 1, column: 2, message: "expected a JSON value, found 't'"))
    }
}
