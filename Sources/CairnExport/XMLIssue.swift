// A problem found in an XML document, positioned by line and element path.

/// One parse or validation problem.
public struct XMLIssue: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line in the document; 0 when unknown.
    public var line: Int
    /// Element path such as `/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt` (local names; an index
    /// only where siblings share the name); `""` when the problem has no node (not well-formed).
    public var path: String
    public var message: String

    public init(line: Int, path: String, message: String) {
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String { "line \(line): \(path.isEmpty ? "" : path + ": ")\(message)" }
}

/// The problems that made a document unacceptable (never empty when thrown or returned as a failure).
public struct XMLIssues: Error, Sendable, Equatable, RandomAccessCollection, CustomStringConvertible {
    public var issues: [XMLIssue]

    public init(_ issues: [XMLIssue]) { self.issues = issues }

    public var startIndex: Int { issues.startIndex }
    public var endIndex: Int { issues.endIndex }
    public subscript(position: Int) -> XMLIssue { issues[position] }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
