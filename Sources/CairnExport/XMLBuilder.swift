// Indented XML text, built piece by piece and handed to a sink in chunks.

/// Appends indented elements to `text`. Writers flush `text` to their sink after each large
/// piece (a group header, an entry), so memory stays bounded by one entry.
struct XMLBuilder {
    private(set) var text = ""
    private var depth: Int

    init(depth: Int = 0) { self.depth = depth }

    mutating func open(_ name: String) {
        indent()
        text += "<\(name)>\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        indent()
        text += "</\(name)>\n"
    }

    /// `<name attr="…">value</name>` on one line.
    mutating func leaf(_ name: String, _ value: String, attributes: KeyValuePairs<String, String> = [:]) {
        indent()
        text += "<\(name)"
        for (key, attributeValue) in attributes { text += " \(key)=\"\(Self.escape(attributeValue))\"" }
        text += ">\(Self.escape(value))</\(name)>\n"
    }

    /// Moves the built text out, leaving the depth.
    mutating func take() -> String {
        defer { text = "" }
        return text
    }

    private mutating func indent() { text += String(repeating: "  ", count: depth) }

    /// Escapes markup (`& < > "`), CR (which a parser would otherwise turn into LF), LF and TAB
    /// (so every element stays on one line and attribute values keep them), and
    /// replaces the code points XML 1.0 cannot carry at all (C0 controls other than TAB, LF, CR;
    /// U+FFFE, U+FFFF) by U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\r": out += "&#13;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\u{00}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// ISO 20022 text limits count characters (Unicode code points).
extension String {
    var isoLength: Int { unicodeScalars.count }

    /// `self` cut into pieces of at most `limit` code points.
    func isoChunks(of limit: Int) -> [String] {
        var chunks: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if current.count == limit {
                chunks.append(String(current))
                current = String.UnicodeScalarView()
            }
            current.append(scalar)
        }
        if !current.isEmpty { chunks.append(String(current)) }
        return chunks
    }

    /// The first `limit` code points.
    func isoPrefix(_ limit: Int) -> String { String(String.UnicodeScalarView(unicodeScalars.prefix(limit))) }
}
