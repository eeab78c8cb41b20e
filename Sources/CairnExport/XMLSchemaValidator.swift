// XSD validation in-process with libxml2.

import CLibXML2
import Foundation

/// A compiled XML Schema. Immutable after `init`, so one instance may validate any number of
/// documents, from any number of threads: every `validate` call uses its own libxml2
/// validation context and collects errors through it (nothing is printed, no global error
/// handler is installed).
public final class XMLSchemaValidator: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    /// The XSD tree: compiled components may point into it, so it lives as long as `schema`.
    private let source: XMLDocument

    /// Compiles the XSD in `xsd` (the schema must be self-contained: no network access).
    /// Throws the schema's own parse or compile problems.
    public init(xsd: [UInt8]) throws(XMLIssues) {
        let document: XMLDocument
        switch XMLDocument.parse(xsd) {
        case .failure(let issues): throw issues
        case .success(let parsed): document = parsed
        }
        guard let pctxt = xmlSchemaNewDocParserCtxt(document.doc) else {
            throw XMLIssues([XMLIssue(line: 0, path: "", message: "out of memory")])
        }
        defer { xmlSchemaFreeParserCtxt(pctxt) }
        let collector = IssueCollector()
        xmlSchemaSetParserStructuredErrors(pctxt, Self.handler, collector.opaque)
        let compiled = withExtendedLifetime((collector, document)) { xmlSchemaParse(pctxt) }
        guard let compiled else {
            let issues = collector.issues.isEmpty ? [XMLIssue(line: 0, path: "", message: "not a schema")] : collector.issues
            throw XMLIssues(issues)
        }
        schema = compiled
        source = document
    }

    /// Reads and compiles the XSD file at `path`.
    public convenience init(path: String) throws(XMLIssues) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XMLIssues([XMLIssue(line: 0, path: "", message: "cannot read \(path)")])
        }
        try self.init(xsd: [UInt8](data))
    }

    deinit { xmlSchemaFree(schema) }

    /// Every problem in `xml`: well-formedness problems (and then nothing else), else schema
    /// validity problems. Empty when the document is valid.
    public func validate(_ xml: [UInt8]) -> [XMLIssue] {
        switch XMLDocument.parse(xml) {
        case .failure(let issues): issues.issues
        case .success(let document): validate(document)
        }
    }

    /// Validates the file at `path` as libxml2 reads it (a SAX stream), so a document of any size
    /// is checked in bounded memory. Issues carry lines; their element paths may be empty.
    public func validate(file path: String) -> [XMLIssue] {
        guard let vctxt = xmlSchemaNewValidCtxt(schema) else {
            return [XMLIssue(line: 0, path: "", message: "out of memory")]
        }
        defer { xmlSchemaFreeValidCtxt(vctxt) }
        let collector = IssueCollector()
        xmlSchemaSetValidStructuredErrors(vctxt, Self.handler, collector.opaque)
        let rc = withExtendedLifetime(collector) { xmlSchemaValidateFile(vctxt, path, 0) }
        if rc != 0, collector.issues.isEmpty {
            return [XMLIssue(line: 0, path: "", message: "validation failed (libxml2 code \(rc))")]
        }
        return collector.issues
    }

    func validate(_ document: XMLDocument) -> [XMLIssue] {
        guard let vctxt = xmlSchemaNewValidCtxt(schema) else {
            return [XMLIssue(line: 0, path: "", message: "out of memory")]
        }
        defer { xmlSchemaFreeValidCtxt(vctxt) }
        let collector = IssueCollector()
        xmlSchemaSetValidStructuredErrors(vctxt, Self.handler, collector.opaque)
        let rc = withExtendedLifetime((collector, document)) { xmlSchemaValidateDoc(vctxt, document.doc) }
        if rc != 0, collector.issues.isEmpty {
            return [XMLIssue(line: 0, path: "", message: "validation failed (libxml2 code \(rc))")]
        }
        return collector.issues
    }

    private static let handler: xmlStructuredErrorFunc = { userData, error in
        guard let userData, let error else { return }
        IssueCollector.from(userData).add(error.pointee)
    }
}
