// RFC 4180 CSV with a spreadsheet formula-injection guard.

/// Writes RFC 4180 CSV: CRLF line ends, one header row, fields quoted when they hold `,` `"`
/// CR or LF (quotes doubled).
///
/// Columns: `id, height, leaf_index, time, kind, submitter, from, to, amount, currency,
/// reference, refs, signers`. `amount` is a decimal with exactly `minorDigits` fraction digits
/// (a leading `-` when negative, empty when the notice moves no money); `time` is the block
/// time as stored (ISO 8601 UTC); `refs` and `signers` are space-separated.
///
/// Formula injection: spreadsheets run a cell that starts with `=` `+` `-` `@` (and, per OWASP,
/// TAB or CR) as a formula. Every text field that starts with one of those gets a leading `'`
/// (so `=HYPERLINK(…)` is written `'=HYPERLINK(…)`). The numeric columns (`height`,
/// `leaf_index`, `amount`) are never prefixed: they are produced by this writer from integers,
/// so a `-` there is a minus sign, never a formula. Consumers that need the raw value strip one
/// leading `'` from text columns.
public enum CSVWriter {
    public static let columns = [
        "id", "height", "leaf_index", "time", "kind", "submitter", "from", "to", "amount", "currency", "reference", "refs",
        "signers",
    ]

    /// The header row, ending in CRLF.
    public static var header: String { columns.joined(separator: ",") + "\r\n" }

    /// One data row, ending in CRLF.
    public static func row(_ record: ExportRecord) -> String {
        let amount = record.amount.map { DecimalAmount.format($0, minorDigits: record.minorDigits ?? 0) } ?? ""
        let text: (String?) -> String = { quote(guardFormula($0 ?? "")) }
        let fields = [
            text(record.id), String(record.height), String(record.leafIndex), text(record.time), text(record.kind),
            text(record.submitter), text(record.from), text(record.to), amount, text(record.currency),
            text(record.reference), text(record.refs.joined(separator: " ")), text(record.signers.joined(separator: " ")),
        ]
        return fields.joined(separator: ",") + "\r\n"
    }

    /// Streams the header and then one row per record to `sink`.
    public static func write(_ records: some Sequence<ExportRecord>, to sink: (String) -> Void) {
        sink(header)
        for record in records { sink(row(record)) }
    }

    /// Prefixes `'` to a text field a spreadsheet would evaluate as a formula.
    static func guardFormula(_ field: String) -> String {
        guard let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return field }
        return "'" + field
    }

    /// RFC 4180 quoting.
    static func quote(_ field: String) -> String {
        let special = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard special else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}
