/// The one error type of Cairn. `code` is stable (scripts and the HTTP API match on it);
/// `message` reads "couldn't X: cause" or names what is wrong and where (JSON path, line and
/// column, notice id, height).
public struct CairnError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let malformedJSON = Code(rawValue: "malformed_json")
        public static let invalidField = Code(rawValue: "invalid_field")
        public static let invalidAmount = Code(rawValue: "invalid_amount")
        public static let unknownCurrency = Code(rawValue: "unknown_currency")
        public static let unknownAccount = Code(rawValue: "unknown_account")
        public static let currencyMismatch = Code(rawValue: "currency_mismatch")
        public static let unknownMember = Code(rawValue: "unknown_member")
        public static let expired = Code(rawValue: "expired")
        public static let unknownSigner = Code(rawValue: "unknown_signer")
        public static let unknownKey = Code(rawValue: "unknown_key")
        public static let badSignature = Code(rawValue: "bad_signature")
        public static let signerNotAllowed = Code(rawValue: "signer_not_allowed")
        public static let policyUnsatisfied = Code(rawValue: "policy_unsatisfied")
        public static let unsignedNotice = Code(rawValue: "unsigned_notice")
        public static let overdraft = Code(rawValue: "overdraft")
        public static let overflow = Code(rawValue: "overflow")
        public static let duplicateNotice = Code(rawValue: "duplicate_notice")
        public static let invalidKey = Code(rawValue: "invalid_key")
        public static let invalidGenesis = Code(rawValue: "invalid_genesis")
        public static let invalidPolicy = Code(rawValue: "invalid_policy")
        public static let invalidNote = Code(rawValue: "invalid_note")
        public static let invalidProof = Code(rawValue: "invalid_proof")
        public static let invalidBlock = Code(rawValue: "invalid_block")
        public static let notFound = Code(rawValue: "not_found")
        /// A selection (an export's blocks and times) that holds nothing, so nothing was written.
        public static let emptySelection = Code(rawValue: "empty_selection")
        public static let storage = Code(rawValue: "storage")
        public static let usage = Code(rawValue: "usage")
        // Written into blocks as rejection codes: a typo here would fork the chain, so every call
        // site names the constant.
        public static let unknownRef = Code(rawValue: "unknown_ref")
        public static let invalidContract = Code(rawValue: "invalid_contract")
        public static let unknownAction = Code(rawValue: "unknown_action")
        public static let instanceClosed = Code(rawValue: "instance_closed")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
