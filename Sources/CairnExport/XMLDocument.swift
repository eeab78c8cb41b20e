// A parsed libxml2 tree, with issue capture and element paths.

import CLibXML2

/// `xmlInitParser` runs once per process, before any other libxml2 call.
private let libxml2Initialized: Bool = {
    xmlInitParser()
    return true
}()

/// Collects libxml2 structured errors; passed to C as an unretained opaque pointer.
final class IssueCollector {
    var issues: [XMLIssue] = []

    func add(_ error: xmlError) {
        var message = error.message.map { String(cString: $0) } ?? "error \(error.code)"
        while message.last?.isWhitespace == true { message.removeLast() }
        message = Self.withoutNamespaces(message)
        if error.level == XML_ERR_WARNING { message = "warning: " + message }
        var line = Int(error.line)
        var path = ""
        if let raw = error.node {
            let node = raw.assumingMemoryBound(to: xmlNode.self)
            path = XMLDocument.path(of: node)
            if line <= 0 { line = Int(xmlGetLineNo(node)) }
        }
        issues.append(XMLIssue(line: max(line, 0), path: path, message: message))
    }

    /// libxml2 writes names as `{urn:…}Name`; the path already says which document this is.
    static func withoutNamespaces(_ message: String) -> String {
        var out = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}"),
            !rest[open..<close].contains(" ")
        {
            out += rest[..<open]
            if !rest[open..<close].contains(":") { out += rest[open...close] }  // a pattern quantifier, not a URI
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ opaque: UnsafeMutableRawPointer) -> IssueCollector {
        Unmanaged<IssueCollector>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// An owned libxml2 document. Parsing never touches the network, never substitutes external
/// entities and never loads a DTD; errors go to the returned issues, never to stderr.
final class XMLDocument {
    let doc: xmlDocPtr

    private init(_ doc: xmlDocPtr) { self.doc = doc }

    deinit { xmlFreeDoc(doc) }

    static func parse(_ bytes: [UInt8]) -> Result<XMLDocument, XMLIssues> {
        _ = libxml2Initialized
        guard bytes.count < Int(Int32.max) else {
            return .failure(XMLIssues([XMLIssue(line: 0, path: "", message: "document larger than 2 GiB")]))
        }
        let collector = IssueCollector()
        let parsed: xmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            guard
                let ctxt = xmlCreateMemoryParserCtxt(base.assumingMemoryBound(to: CChar.self), Int32(buffer.count))
            else { return nil }
            defer { xmlFreeParserCtxt(ctxt) }
            let options = XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue
            xmlCtxtUseOptions(ctxt, Int32(options))
            ctxt.pointee._private = collector.opaque
            if let sax = ctxt.pointee.sax, sax.pointee.initialized == cairn_xml_sax2_magic() {
                // Parser errors reach `serror(ctxt->userData == ctxt, error)`.
                sax.pointee.serror = { userData, error in
                    guard let userData, let error else { return }
                    let ctxt = userData.assumingMemoryBound(to: xmlParserCtxt.self)
                    guard let opaque = ctxt.pointee._private else { return }
                    IssueCollector.from(opaque).add(error.pointee)
                }
            }
            xmlParseDocument(ctxt)
            let doc = ctxt.pointee.myDoc
            ctxt.pointee.myDoc = nil
            if ctxt.pointee.wellFormed == 0 {
                if let doc { xmlFreeDoc(doc) }
                return nil
            }
            return doc
        }
        withExtendedLifetime(collector) {}
        guard let parsed else {
            let issues = collector.issues.isEmpty ? [XMLIssue(line: 0, path: "", message: "not well-formed")] : collector.issues
            return .failure(XMLIssues(issues))
        }
        return .success(XMLDocument(parsed))
    }

    var root: xmlNodePtr? { xmlDocGetRootElement(doc) }

    /// Runs `body` with the root element while the tree is guaranteed alive (node pointers
    /// must not escape `body`).
    func withRoot<T>(_ body: (xmlNodePtr?) throws -> T) rethrows -> T {
        try withExtendedLifetime(self) { try body(xmlDocGetRootElement(doc)) }
    }

    // MARK: Tree helpers

    static func name(_ node: xmlNodePtr) -> String { node.pointee.name.map { String(cString: $0) } ?? "" }

    /// The element children of `node`, optionally only those with local name `named`.
    static func children(_ node: xmlNodePtr, named: String? = nil) -> [xmlNodePtr] {
        var out: [xmlNodePtr] = []
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE, named == nil || name(c) == named { out.append(c) }
            child = c.pointee.next
        }
        return out
    }

    /// The first element reached by following `names` from `node`.
    static func child(_ node: xmlNodePtr, _ names: String...) -> xmlNodePtr? {
        var cur = node
        for n in names {
            guard let next = children(cur, named: n).first else { return nil }
            cur = next
        }
        return cur
    }

    /// The concatenated text children of `node` (CDATA is merged into text at parse time).
    static func text(_ node: xmlNodePtr) -> String {
        var out = ""
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_TEXT_NODE, let content = c.pointee.content { out += String(cString: content) }
            child = c.pointee.next
        }
        return out
    }

    static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        guard let value = xmlGetProp(node, name) else { return nil }
        defer { cairn_xml_free(value) }
        return String(cString: value)
    }

    static func line(_ node: xmlNodePtr) -> Int { Int(xmlGetLineNo(node)) }

    /// The element path of `node` by local names, e.g. `/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt`.
    ///
    /// Same shape as `xmlGetNodePath` (an index only when a sibling shares the name), which we
    /// cannot use directly: libxml2 2.9 writes every element of a default namespace as `*`,
    /// and ISO 20022 documents put everything in the default namespace.
    static func path(of node: xmlNodePtr) -> String {
        var parts: [String] = []
        var cur: xmlNodePtr? = node
        while let n = cur {
            switch n.pointee.type {
            case XML_ELEMENT_NODE:
                let own = name(n)
                var index = 1
                var shared = false
                var sibling = n.pointee.prev
                while let s = sibling {
                    if s.pointee.type == XML_ELEMENT_NODE, name(s) == own {
                        index += 1
                        shared = true
                    }
                    sibling = s.pointee.prev
                }
                sibling = n.pointee.next
                while let s = sibling, !shared {
                    if s.pointee.type == XML_ELEMENT_NODE, name(s) == own { shared = true }
                    sibling = s.pointee.next
                }
                parts.append(shared ? "\(own)[\(index)]" : own)
            case XML_ATTRIBUTE_NODE:
                parts.append("@" + name(n))
            default:
                break
            }
            cur = n.pointee.parent
            if cur?.pointee.type == XML_DOCUMENT_NODE { break }
        }
        return "/" + parts.reversed().joined(separator: "/")
    }
}
