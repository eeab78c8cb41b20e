import CairnScript
import Foundation
import Testing

@Suite struct ConformanceTests {
    @Test func allRows() throws {
        let text = try String(contentsOf: Fixtures.root.appendingPathComponent("Tests/Conformance/cases.json"), encoding: .utf8)
        guard case .array(let rows)? = JSON.parse(text) else {
            Issue.record("cases.json is not a JSON array")
            return
        }
        #expect(rows.count >= 40)
        let contracts = Fixtures.allContracts
        for row in rows {
            guard case .array(let cols) = row, case .string(let expected) = cols[5], case .string(let comment) = cols[6] else {
                Issue.record("bad row \(row.text)")
                continue
            }
            #expect(Conformance.run(row: row, contracts: contracts) == expected, "\(comment)")
        }
    }

    @Test func driverRejectsBadRows() {
        #expect(Conformance.run(row: .array([])).hasPrefix("bad_row"))
        #expect(Conformance.runAll(json: "not json", contracts: [:]) == ["bad_input not a JSON array"])
    }
}
