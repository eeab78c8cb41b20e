import CairnCore
import CairnLedger

/// A notice's status as the node serves it and `cairn status ID` prints it: pending (with what
/// the policy still needs), complete, committed (with its height and a link to its proof), or
/// rejected (with the reason); nil when the notice is not known. `state` is the committed state
/// that what is missing is judged against; it verifies the pending signatures, so the node calls
/// this off its ledger thread, with a snapshot of the state.
public func noticeStatus(store: any LedgerStore, state: LedgerState, id: String, now: Timestamp) throws -> JSONObject? {
    guard let r = try store.notice(id) else { return nil }
    var o = JSONObject([("id", .string(r.id)), ("status", .string(r.status.rawValue))])
    if let h = r.height, r.status == .committed || r.status == .rejected { o["height"] = .number(Double(h)) }
    if let i = r.leafIndex {
        o["leafIndex"] = .number(Double(i))
        o["proof"] = .string("/v1/notices/\(id)/proof")
        o["envelope"] = try Envelope(leaf: try store.leaves(from: i, count: 1)[0]).json
    }
    if let c = r.code { o["code"] = .string(c) }
    if let m = r.message { o["reason"] = .string(m) }
    if let (bytes, _) = try store.pending(id) {
        let e = try Envelope(leaf: bytes)
        o["envelope"] = e.json
        do throws(CairnError) {
            if let missing = try Rules.admit(e, in: state, now: now).missing { o["missing"] = .string(missing) }
        } catch {
            o["missing"] = .string("cannot complete: \(error.message)")
        }
    }
    return o
}
