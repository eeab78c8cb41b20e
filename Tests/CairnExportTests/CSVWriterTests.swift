import Testing

@testable import CairnExport

/// A small RFC 4180 reader: CRLF records, quoted fields with doubled quotes.
private func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var scalars = Array(text.unicodeScalars)[...]
    while let c = scalars.popFirst() {
        if quoted {
            if c == "\"" {
                if scalars.first == "\"" {
                    field.unicodeScalars.append("\"")
                    scalars.removeFirst()
                } else {
                    quoted = false
                }
            } else {
                field.unicodeScalars.append(c)
            }
        } else if c == "\"" && field.isEmpty {
            quoted = true
        } else if c == "," {
            row.append(field)
            field = ""
        } else if c == "\r" && scalars.first == "\n" {
            scalars.removeFirst()
            row.append(field)
            rows.append(row)
            row = []
            field = ""
        } else {
            field.unicodeScalars.append(c)
        }
    }
    #expect(field.isEmpty && row.isEmpty, "the last record ends in CRLF")
    return rows
}

@Suite struct CSVWriterTests {
    let records = Sample.records + [Sample.memberUpdate]

    func csv() -> String {
        var out = ""
        CSVWriter.write(records) { out += $0 }
        return out
    }

    @Test func roundTripsThroughAnRFC4180Reader() throws {
        let rows = parseCSV(csv())
        #expect(rows.first == CSVWriter.columns)
        #expect(rows.count == records.count + 1)
        for (row, record) in zip(rows.dropFirst(), records) {
            #expect(row.count == 13)
            #expect(row[0] == record.id)
            #expect(row[1] == String(record.height))
            #expect(row[2] == String(record.leafIndex))
            #expect(row[3] == record.time)
            #expect(row[4] == record.kind)
            #expect(row[6] == (record.from ?? ""))
            #expect(row[9] == (record.currency ?? ""))
            let reference = record.reference ?? ""
            #expect(row[10] == reference || row[10] == "'" + reference)
            #expect(row[11] == record.refs.joined(separator: " "))
            #expect(row[12] == record.signers.joined(separator: " "))
        }
        #expect(rows[3][10] == Sample.longReference)  // commas, quotes, CRLF survive
    }

    @Test func amountsHaveExactlyTheMinorDigits() {
        let rows = parseCSV(csv())
        #expect(rows[1][8] == "1000.00")
        #expect(rows[2][8] == "250.50")
        #expect(rows[5][8] == "500000")  // JPY, 0 digits
        #expect(rows[7][8] == "")  // member.update moves no money
        var negative = Sample.records[1]
        negative.amount = -5
        #expect(parseCSV(CSVWriter.header + CSVWriter.row(negative))[1][8] == "-0.05")  // numeric: never prefixed
    }

    @Test func quotesOnlyWhereRFC4180Requires() {
        #expect(CSVWriter.quote("plain") == "plain")
        #expect(CSVWriter.quote("a,b") == "\"a,b\"")
        #expect(CSVWriter.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.quote("two\nlines") == "\"two\nlines\"")
        #expect(CSVWriter.quote("cr\rhere") == "\"cr\rhere\"")
        #expect(csv().hasPrefix("id,height,leaf_index,time,kind,submitter,from,to,amount,currency,reference,refs,signers\r\n"))
        #expect(!csv().replacing("\r\n", with: "").contains("\r\n"))
    }

    @Test func guardsAgainstFormulaInjection() {
        let rows = parseCSV(csv())
        #expect(rows[4][10] == "'" + Sample.formulaReference)
        #expect(rows[6][10] == "'-E2E-JPY-1")
        for start in ["=", "+", "-", "@", "\t", "\r"] {
            #expect(CSVWriter.guardFormula(start + "1+1") == "'" + start + "1+1")
        }
        #expect(CSVWriter.guardFormula("INV-1") == "INV-1")
        #expect(CSVWriter.guardFormula("") == "")
    }
}
