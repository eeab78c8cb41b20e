// What makes an imported payment the same payment the next time it is imported.

import CairnCore

/// The identity of one pacs.008 payment: its `UETR`, or without one its `EndToEndId` and the
/// instructing agent that assigned it. Imported twice, a payment gets the same notice nonce, and
/// so (with the same times, amounts and accounts) the same notice id, which the ledger refuses
/// as a duplicate.
public enum PaymentIdentity: Sendable, Hashable, CustomStringConvertible {
    /// `PmtId/UETR`, lowercase (the schema's `UUIDv4Identifier` allows nothing else).
    case uetr(String)
    /// `PmtId/EndToEndId` exactly as written, and the instructing agent as `AgentIdentity` spells it.
    case endToEnd(id: String, agent: String)

    /// The domain-separation tag of the nonce derivation.
    public static let nonceTag = "cairn/pacs008-nonce/v1"

    /// The nonce of the `index`-th notice (0-based) that this payment becomes: the lowercase hex
    /// SHA-256 of, each string as a 4-byte big-endian length and its UTF-8 bytes,
    /// `"cairn/pacs008-nonce/v1"`, then `"uetr"` and the UETR, or `"e2e"`, the EndToEndId and the
    /// agent; then `index` as 4 bytes big-endian. 64 hex digits: a valid notice nonce.
    public func nonce(index: UInt32 = 0) -> String {
        var bytes: [UInt8] = []
        func field(_ s: String) {
            let utf8 = Array(s.utf8)
            bytes += Self.bigEndian(UInt32(utf8.count))
            bytes += utf8
        }
        field(Self.nonceTag)
        switch self {
        case .uetr(let uetr):
            field("uetr")
            field(uetr.lowercased())
        case .endToEnd(let id, let agent):
            field("e2e")
            field(id)
            field(agent)
        }
        bytes += Self.bigEndian(index)
        return Hash.sha256(bytes).hex
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    public var description: String {
        switch self {
        case .uetr(let uetr): "UETR \(uetr)"
        case .endToEnd(let id, let agent): "EndToEndId \(id) of \(agent)"
        }
    }
}
