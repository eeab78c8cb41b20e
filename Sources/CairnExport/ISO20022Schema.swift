// The bundled ISO 20022 schemas.

import Foundation

/// The XSDs shipped in `Schemas/` (see its README for provenance), compiled once on first use.
public enum ISO20022Schema: String, Sendable, CaseIterable {
    case camt053 = "camt.053.001.08"
    case camt054 = "camt.054.001.08"
    case pacs008 = "pacs.008.001.08"

    /// The target namespace, `urn:iso:std:iso:20022:tech:xsd:<message>`.
    public var namespace: String { "urn:iso:std:iso:20022:tech:xsd:" + rawValue }

    /// The bundled XSD file.
    public var url: URL {
        Bundle.module.url(forResource: rawValue, withExtension: "xsd", subdirectory: "Schemas")!
    }

    /// The compiled schema (shared, thread-safe).
    public var validator: XMLSchemaValidator {
        switch self {
        case .camt053: compiledCamt053
        case .camt054: compiledCamt054
        case .pacs008: compiledPacs008
        }
    }
}

private func compile(_ schema: ISO20022Schema) -> XMLSchemaValidator {
    do {
        return try XMLSchemaValidator(path: schema.url.path)
    } catch {
        fatalError("bundled schema \(schema.rawValue) does not compile: \(error)")
    }
}

private let compiledCamt053 = compile(.camt053)
private let compiledCamt054 = compile(.camt054)
private let compiledPacs008 = compile(.pacs008)
