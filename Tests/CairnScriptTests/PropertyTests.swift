import CairnScript
import Testing

/// Deterministic RNG (SplitMix64) so every run explores the same sequences.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct PropertyTests {
    struct Setup: Sendable {
        var name: String
        var params: [String: ScriptValue]
        var deposit: [(currency: String, amount: Int64)]
        var parties: [String]
        var args: @Sendable (inout SeededRNG) -> [String: ScriptValue]
    }

    static let setups: [Setup] = [
        Setup(
            name: "escrow", params: Fixtures.escrowParams, deposit: [("EUR", 1000)], parties: ["alice", "bob", "carol", "mallory"],
            args: { _ in [:] }),
        Setup(
            name: "multisig", params: Fixtures.multisigParams, deposit: [("USD", 5000)], parties: ["ann", "ben", "cat", "mallory"],
            args: { rng in
                let to = ["dan/main", "eve/main", "fay/main", "mallory/x"].randomElement(using: &rng)!
                return ["recipient": .account(to), "value": .amount(Int64.random(in: -10...6000, using: &rng))]
            }),
        Setup(
            name: "timelock", params: Fixtures.timelockParams, deposit: [("EUR", 300), ("USD", 5)], parties: ["alice", "bob", "mallory"],
            args: { _ in [:] }),
        Setup(
            name: "htlc", params: Fixtures.htlcParams, deposit: [("EUR", 700)], parties: ["alice", "bob", "mallory"],
            args: { rng in ["secret": .bytes(Bool.random(using: &rng) ? Fixtures.secret : [1, 2, 3])] }),
        Setup(name: "dvp", params: Fixtures.dvpParams, deposit: [], parties: ["sam", "bea", "mallory"], args: { _ in [:] }),
    ]

    @Test(arguments: setups.map(\.name)) func conservation(name: String) throws {
        let setup = Self.setups.first { $0.name == name }!
        let c = Fixtures.contract(name)
        let seed = 42 &+ UInt64(name.utf8.count)
        print("seed: \(seed) (\(name))")
        var rng = SeededRNG(state: seed)
        for _ in 0..<300 {
            var time = Int64.random(in: 0...20, using: &rng)
            var step = try ok(c.open(params: setup.params, deposit: setup.deposit, time: time))
            var deposited: [String: Int64] = [:]
            var paid: [String: Int64] = [:]
            for d in setup.deposit { deposited[d.currency, default: 0] += d.amount }
            var runSteps = step.steps
            func account(_ s: Step) {
                for d in s.deposits { deposited[d.currency, default: 0] += d.amount }
                for p in s.payments {
                    #expect(p.amount > 0)
                    paid[p.currency, default: 0] += p.amount
                }
            }
            for _ in 0..<12 where !step.state.closed {
                time += Int64.random(in: 0...40, using: &rng)
                if let fired = c.advance(step.state, time: time) {
                    let s = try ok(fired)
                    account(s)
                    runSteps += s.steps
                    step = s
                    continue
                }
                let action = (c.actions + ["bogus"]).randomElement(using: &rng)!
                let signers = Set(setup.parties.filter { _ in Bool.random(using: &rng) })
                let r = c.act(step.state, action: action, args: setup.args(&rng), signers: signers, time: time)
                if case .success(let s) = r {
                    #expect(s.steps <= c.evaluationBound)
                    account(s)
                    runSteps += s.steps
                    step = s
                }
                // Round trip of the canonical state bytes.
                let back = try InstanceState(decoding: step.state.encoded(), contract: c)
                #expect(back == step.state)
            }
            #expect(runSteps <= c.stepBound)
            let currencies = Set(deposited.keys).union(paid.keys).union(step.state.locked.map(\.currency)).sorted()
            for cur in currencies {
                #expect(step.state.locked(cur) >= 0)
                #expect(step.state.locked(cur) + paid[cur, default: 0] == deposited[cur, default: 0], "\(name) \(cur)")
            }
            #expect(step.state.locked.allSatisfy { $0.amount > 0 })
            // Far in the future every instance has closed by itself, and everything came out.
            if !step.state.closed {
                let s = try ok(c.advance(step.state, time: 1_000_000)!)
                account(s)
                #expect(s.state.closed)
                for cur in currencies { #expect(paid[cur, default: 0] == deposited[cur, default: 0]) }
            }
        }
    }
}
