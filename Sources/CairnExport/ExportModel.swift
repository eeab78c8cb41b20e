// The records the ledger hands to the export writers.

/// One committed notice, flattened for export.
public struct ExportRecord: Sendable, Equatable {
    /// Notice id, 64 lowercase hex.
    public var id: String
    /// `deposit`, `transfer`, `member.update`, later `contract.*`.
    public var kind: String
    /// `committed`.
    public var status: String
    public var height: UInt64
    public var leafIndex: UInt64
    /// Block time, RFC 3339 UTC `YYYY-MM-DDTHH:MM:SSZ`.
    public var time: String
    public var submitter: String
    /// Paying account `<member>/<label>`; nil for deposits.
    public var from: String?
    public var to: String?
    /// Minor units.
    public var amount: Int64?
    public var currency: String?
    public var minorDigits: Int?
    /// Business reference: a UETR (UUID) or an end-to-end id of any length.
    public var reference: String?
    public var refs: [String]
    public var signers: [String]
    /// The canonical envelope JSON (the Merkle leaf).
    public var envelope: String

    public init(
        id: String, kind: String, status: String = "committed", height: UInt64, leafIndex: UInt64, time: String,
        submitter: String, from: String? = nil, to: String? = nil, amount: Int64? = nil, currency: String? = nil,
        minorDigits: Int? = nil, reference: String? = nil, refs: [String] = [], signers: [String] = [], envelope: String
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.height = height
        self.leafIndex = leafIndex
        self.time = time
        self.submitter = submitter
        self.from = from
        self.to = to
        self.amount = amount
        self.currency = currency
        self.minorDigits = minorDigits
        self.reference = reference
        self.refs = refs
        self.signers = signers
        self.envelope = envelope
    }
}

/// One account and currency over a range of blocks.
public struct Statement: Sendable {
    public var account: String
    public var owner: String
    public var currency: String
    public var minorDigits: Int
    /// Minor units; may be negative (credit lines).
    public var opening: Int64
    public var closing: Int64
    public var fromTime: String
    public var toTime: String
    public var fromHeight: UInt64
    public var toHeight: UInt64
    /// In ledger order; each moves money in or out of `account`.
    public var entries: [ExportRecord]

    public init(
        account: String, owner: String, currency: String, minorDigits: Int, opening: Int64, closing: Int64,
        fromTime: String, toTime: String, fromHeight: UInt64, toHeight: UInt64, entries: [ExportRecord]
    ) {
        self.account = account
        self.owner = owner
        self.currency = currency
        self.minorDigits = minorDigits
        self.opening = opening
        self.closing = closing
        self.fromTime = fromTime
        self.toTime = toTime
        self.fromHeight = fromHeight
        self.toHeight = toHeight
        self.entries = entries
    }
}

/// The group header of an exported message.
public struct ExportHeader: Sendable {
    /// At most 35 characters (ISO 20022 `MsgId`).
    public var messageID: String
    /// RFC 3339.
    public var created: String
    /// The ledger origin (checkpoint origin line).
    public var origin: String

    public init(messageID: String, created: String, origin: String) {
        self.messageID = messageID
        self.created = created
        self.origin = origin
    }
}

/// Why a writer refused its input. Writers check before they emit the piece concerned, so a
/// sink may have received the pieces before it.
public enum ExportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The amount has more than 18 digits, or the currency more than 5 minor digits.
    case amountOutOfRange(id: String)
    /// A money-moving entry without amount, currency or minor digits.
    case missingAmount(id: String)
    /// The entry neither pays from nor pays to the statement's account, or its currency differs.
    case entryNotForAccount(account: String, id: String)
    /// A value is empty or longer than the ISO 20022 field allows.
    case fieldTooLong(field: String, value: String)
    /// opening + credits - debits != closing.
    case balanceMismatch(account: String, expected: Int64, closing: Int64)

    public var description: String {
        switch self {
        case .amountOutOfRange(let id): "amount of \(id) out of range (max 18 digits, 5 minor digits)"
        case .missingAmount(let id): "entry \(id) has no amount, currency or minor digits"
        case .entryNotForAccount(let account, let id): "entry \(id) does not move money of \(account)"
        case .fieldTooLong(let field, let value): "\(field) is empty or too long: \(value)"
        case .balanceMismatch(let account, let expected, let closing):
            "\(account): opening + entries = \(expected), closing balance says \(closing)"
        }
    }
}
