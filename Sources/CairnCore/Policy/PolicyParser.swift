extension Policy {
    /// Parses a policy expression. Errors name the column (1-based) of the offending token.
    public init(parsing text: String) throws(CairnError) {
        var p = PolicyParser(Array(text.utf8))
        let policy = try p.parseExpr(depth: 0)
        p.skipSpace()
        guard p.pos == p.bytes.count else { throw p.error("unexpected text after the expression") }
        self = policy
    }
}

private struct PolicyParser {
    let bytes: [UInt8]
    var pos = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func error(_ what: String) -> CairnError {
        CairnError(.invalidPolicy, "column \(pos + 1): \(what)")
    }

    mutating func skipSpace() {
        while pos < bytes.count, bytes[pos] == UInt8(ascii: " ") || bytes[pos] == UInt8(ascii: "\t") { pos += 1 }
    }

    /// An identifier: member names (`bank-a.example`), role names and function names.
    mutating func word() -> String {
        skipSpace()
        let start = pos
        while pos < bytes.count {
            let c = bytes[pos]
            let ok =
                (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
                || c == UInt8(ascii: "/")
            guard ok else { break }
            pos += 1
        }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    mutating func expect(_ c: Character) throws(CairnError) {
        skipSpace()
        guard pos < bytes.count, bytes[pos] == c.asciiValue! else { throw error("expected \"\(c)\"") }
        pos += 1
    }

    mutating func peek(_ c: Character) -> Bool {
        skipSpace()
        return pos < bytes.count && bytes[pos] == c.asciiValue!
    }

    mutating func parseExpr(depth: Int) throws(CairnError) -> Policy {
        guard depth < 16 else { throw error("policy nests deeper than 16 levels") }
        let start = pos
        let name = word()
        switch name {
        case "payer": return .payer
        case "payee": return .payee
        case "sig", "role":
            try expect("(")
            let arg = word()
            guard !arg.isEmpty else { throw error("\(name)() needs a name") }
            try expect(")")
            return name == "sig" ? .sig(arg) : .role(arg)
        case "all", "any", "thresh":
            try expect("(")
            var k = 0
            if name == "thresh" {
                let n = word()
                guard let v = Int(n), v >= 1, String(v) == n else { throw error("thresh needs a positive count first") }
                k = v
                try expect(",")
            }
            var args: [Policy] = []
            repeat {
                if !args.isEmpty { try expect(",") }
                args.append(try parseExpr(depth: depth + 1))
            } while !peek(")")
            try expect(")")
            guard args.count <= 64 else { throw error("\(name) has more than 64 arguments") }
            switch name {
            case "all": return .all(args)
            case "any": return .any(args)
            default: return .thresh(k, args)
            }
        case "":
            pos = start
            throw error("expected a policy")
        default:
            pos = start
            throw error("unknown policy term \"\(name)\"")
        }
    }
}
