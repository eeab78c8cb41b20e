import CairnScript
import Foundation
import Testing

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func source(_ name: String) -> String {
        try! String(contentsOf: root.appendingPathComponent("Contracts/\(name).cairn"), encoding: .utf8)
    }

    static func contract(_ name: String) -> Contract {
        switch Contract.compile(source(name)) {
        case .success(let c): return c
        case .failure(let e): fatalError("\(name) does not compile: \(e)")
        }
    }

    static var allContracts: [String: String] {
        Dictionary(uniqueKeysWithValues: ["escrow", "multisig", "timelock", "htlc", "dvp"].map { ($0, source($0)) })
    }

    static let escrowParams: [String: ScriptValue] = [
        "payer": .party("alice"), "payee": .party("bob"), "arbiter": .party("carol"), "payer_account": .account("alice/main"),
        "payee_account": .account("bob/main"), "cur": .currency("EUR"), "amount": .amount(1000), "deadline": .time(100),
        "final": .time(200),
    ]
    static let multisigParams: [String: ScriptValue] = [
        "a1": .party("ann"), "a2": .party("ben"), "a3": .party("cat"), "treasury": .account("corp/treasury"), "r1": .account("dan/main"),
        "r2": .account("eve/main"), "r3": .account("fay/main"), "cur": .currency("USD"), "expiry": .time(500),
    ]
    static let timelockParams: [String: ScriptValue] = [
        "funder": .party("alice"), "beneficiary": .party("bob"), "funder_account": .account("alice/main"),
        "beneficiary_account": .account("bob/main"), "cur": .currency("EUR"), "unlock": .time(100), "deadline": .time(200),
    ]
    static let secret: [UInt8] = Array("open sesame".utf8)
    /// SHA-256("open sesame").
    static let lockHex = "41ef4bb0b23661e66301aac36066912dac037827b4ae63a7b1165a5aa93ed4eb"
    static let lock: [UInt8] = stride(from: 0, to: lockHex.count, by: 2).map {
        UInt8(lockHex[lockHex.index(lockHex.startIndex, offsetBy: $0)..<lockHex.index(lockHex.startIndex, offsetBy: $0 + 2)], radix: 16)!
    }
    static let htlcParams: [String: ScriptValue] = [
        "sender": .party("alice"), "receiver": .party("bob"), "sender_account": .account("alice/main"),
        "receiver_account": .account("bob/main"),
        "cur": .currency("EUR"), "amount": .amount(700), "lock": .bytes(lock), "deadline": .time(300),
    ]
    static let dvpParams: [String: ScriptValue] = [
        "seller": .party("sam"), "buyer": .party("bea"), "seller_sec": .account("sam/custody"),
        "seller_cash": .account("sam/cash"), "buyer_sec": .account("bea/custody"), "buyer_cash": .account("bea/cash"),
        "sec": .currency("BOND"), "cash": .currency("EUR"), "quantity": .amount(10), "price": .amount(9_950),
        "delivery_deadline": .time(100),
        "payment_deadline": .time(200),
    ]
}

extension Result {
    var value: Success? { if case .success(let v) = self { v } else { nil } }
    var error: Failure? { if case .failure(let e) = self { e } else { nil } }
}

/// Unwraps a successful step or fails the test with the error.
func ok(_ r: Result<Step, ScriptError>, sourceLocation: SourceLocation = #_sourceLocation) throws -> Step {
    switch r {
    case .success(let s): return s
    case .failure(let e):
        Issue.record("unexpected error \(e)", sourceLocation: sourceLocation)
        throw e
    }
}

func code(_ r: Result<Step, ScriptError>) -> String? { r.error?.code }
