import Foundation
import Testing

@testable import CairnExport

@Suite struct JSONLinesWriterTests {
    @Test func linesAreCanonicalObjectsWithTheEnvelopeVerbatim() throws {
        var lines: [String] = []
        JSONLinesWriter.write(Sample.records + [Sample.memberUpdate]) { lines.append($0) }
        #expect(lines.count == Sample.records.count + 1)
        for (line, record) in zip(lines, Sample.records + [Sample.memberUpdate]) {
            #expect(line.hasSuffix("}\n"))
            #expect(line.filter { $0 == "\n" }.count == 1)
            let expected =
                "{\"envelope\":\(record.envelope),\"height\":\(record.height),\"id\":\"\(record.id)\",\"leafIndex\":\(record.leafIndex),"
                + "\"status\":\"committed\",\"time\":\"\(record.time)\"}\n"
            #expect(line == expected)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["envelope", "height", "id", "leafIndex", "status", "time"])
            #expect(object["height"] as? Int == Int(record.height))
            let envelope = try #require(object["envelope"] as? [String: Any])
            #expect(envelope["notice"] != nil)
        }
    }

    @Test func stringsUseJCSEscapes() {
        var out = ""
        JSONLinesWriter.appendJSONString("a\"b\\c\n\u{01}\u{1F}é", to: &out)
        #expect(out == "\"a\\\"b\\\\c\\n\\u0001\\u001fé\"")
    }
}
