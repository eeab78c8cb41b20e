import CairnScript
import Testing

@Suite struct EscrowTests {
    let c = Fixtures.contract("escrow")

    func opened() throws -> Step { try ok(c.open(params: Fixtures.escrowParams, deposit: [("EUR", 1000)], time: 10)) }

    @Test func opensAndWaits() throws {
        let s = try opened()
        #expect(!s.state.closed)
        #expect(s.state.nextTimeout == 100)
        #expect(s.state.locked.map(\.currency) == ["EUR"] && s.state.locked.map(\.amount) == [1000])
        #expect(s.payments.isEmpty)
        #expect(s.steps <= c.stepBound)
    }

    @Test func releaseByTwo() throws {
        let s = try opened()
        let r = try ok(c.act(s.state, action: "release", args: [:], signers: ["alice", "carol"], time: 50))
        #expect(r.state.closed && r.state.locked.isEmpty)
        #expect(r.payments == [Payment(to: "bob/main", currency: "EUR", amount: 1000)])
    }

    @Test func refundByTwo() throws {
        let s = try opened()
        let r = try ok(c.act(s.state, action: "refund", args: [:], signers: ["bob", "carol"], time: 50))
        #expect(r.payments == [Payment(to: "alice/main", currency: "EUR", amount: 1000)])
    }

    @Test func oneSignerIsNotEnoughBeforeDeadline() throws {
        let s = try opened()
        for who in ["alice", "bob", "carol"] {
            #expect(code(c.act(s.state, action: "refund", args: [:], signers: [who], time: 50)) == "unauthorized")
            #expect(code(c.act(s.state, action: "release", args: [:], signers: [who], time: 50)) == "unauthorized")
        }
        #expect(!c.authorizes(s.state, action: "refund", signers: ["alice"]))
        #expect(c.authorizes(s.state, action: "refund", signers: ["alice", "bob"]))
        #expect(c.signersMentioned(s.state, action: "release") == ["alice", "bob", "carol"])
    }

    @Test func payerAloneAfterDeadline() throws {
        let s = try opened()
        #expect(c.advance(s.state, time: 99) == nil)
        let t = try ok(c.advance(s.state, time: 100)!)
        #expect(!t.state.closed && t.state.nextTimeout == 200 && t.payments.isEmpty)
        let r = try ok(c.act(t.state, action: "refund", args: [:], signers: ["alice"], time: 150))
        #expect(r.payments == [Payment(to: "alice/main", currency: "EUR", amount: 1000)])
        // The arbiter alone still cannot do anything.
        #expect(code(c.act(t.state, action: "refund", args: [:], signers: ["carol"], time: 150)) == "unauthorized")
        #expect(code(c.act(t.state, action: "release", args: [:], signers: ["carol"], time: 150)) == "unauthorized")
    }

    @Test func finalTimeoutReturnsFunds() throws {
        let s = try opened()
        // One advance fires both timeouts when the block time is past both.
        let r = try ok(c.advance(s.state, time: 250)!)
        #expect(r.state.closed)
        #expect(r.payments == [Payment(to: "alice/main", currency: "EUR", amount: 1000)])
        #expect(c.advance(r.state, time: 999) == nil)
        #expect(code(c.act(r.state, action: "refund", args: [:], signers: ["alice"], time: 300)) == "instance_closed")
    }

    @Test func actingAfterTimeoutIsExpired() throws {
        let s = try opened()
        #expect(code(c.act(s.state, action: "release", args: [:], signers: ["alice", "bob"], time: 100)) == "expired")
        #expect(code(c.act(s.state, action: "steal", args: [:], signers: ["alice", "bob"], time: 50)) == "unknown_action")
    }

    @Test func openChecksParamsAndRequires() {
        var p = Fixtures.escrowParams
        #expect(code(c.open(params: p, deposit: [("EUR", 999)], time: 10)) == "require_failed")
        p["final"] = .time(50)
        let e = c.open(params: p, deposit: [("EUR", 1000)], time: 10).error
        #expect(e?.code == "require_failed" && e?.line == 15)
        p = Fixtures.escrowParams
        p["payer"] = nil
        #expect(code(c.open(params: p, deposit: [("EUR", 1000)], time: 10)) == "missing_param")
        p = Fixtures.escrowParams
        p["amount"] = .party("x")
        #expect(code(c.open(params: p, deposit: [("EUR", 1000)], time: 10)) == "type_mismatch")
        p = Fixtures.escrowParams
        p["extra"] = .int(1)
        #expect(code(c.open(params: p, deposit: [("EUR", 1000)], time: 10)) == "unknown_param")
        #expect(code(c.open(params: Fixtures.escrowParams, deposit: [("EUR", -5)], time: 10)) == "invalid_amount")
    }

    @Test func stateRoundTrips() throws {
        let s = try opened()
        let bytes = s.state.encoded()
        let back = try InstanceState(decoding: bytes, contract: c)
        #expect(back == s.state)
        #expect(back.encoded() == bytes)
        var broken = bytes
        broken[0] ^= 0xff
        #expect(throws: ScriptError.self) { try InstanceState(decoding: broken, contract: c) }
        #expect(throws: ScriptError.self) { try InstanceState(decoding: bytes, contract: Fixtures.contract("htlc")) }
        #expect(throws: ScriptError.self) { try InstanceState(decoding: Array(bytes.dropLast()), contract: c) }
    }
}

@Suite struct MultisigTests {
    let c = Fixtures.contract("multisig")

    func opened() throws -> Step { try ok(c.open(params: Fixtures.multisigParams, deposit: [("USD", 5000)], time: 0)) }

    @Test func payoutToDeclaredRecipient() throws {
        let s = try opened()
        let r = try ok(
            c.act(
                s.state, action: "payout", args: ["recipient": .account("eve/main"), "value": .amount(1200)], signers: ["ann", "cat"],
                time: 10))
        #expect(
            r.payments == [
                Payment(to: "eve/main", currency: "USD", amount: 1200), Payment(to: "corp/treasury", currency: "USD", amount: 3800),
            ])
        #expect(r.state.closed)
    }

    @Test func payoutRefusals() throws {
        let s = try opened()
        let two: Set<String> = ["ann", "ben"]
        #expect(
            code(c.act(s.state, action: "payout", args: ["recipient": .account("mallory/x"), "value": .amount(1)], signers: two, time: 1))
                == "not_allowed")
        #expect(
            code(
                c.act(s.state, action: "payout", args: ["recipient": .account("dan/main"), "value": .amount(6000)], signers: two, time: 1))
                == "insufficient_funds")
        #expect(
            code(c.act(s.state, action: "payout", args: ["recipient": .account("dan/main"), "value": .amount(0)], signers: two, time: 1))
                == "guard_failed")
        #expect(
            code(c.act(s.state, action: "payout", args: ["recipient": .account("dan/main")], signers: two, time: 1)) == "missing_argument")
        #expect(
            code(
                c.act(
                    s.state, action: "payout", args: ["recipient": .account("dan/main"), "value": .amount(5), "memo": .int(1)],
                    signers: two, time: 1)) == "unknown_argument")
        #expect(
            code(
                c.act(s.state, action: "payout", args: ["recipient": .account("dan/main"), "value": .amount(5)], signers: ["ann"], time: 1))
                == "unauthorized")
    }

    @Test func cancelAndExpiry() throws {
        let s = try opened()
        let r = try ok(c.act(s.state, action: "cancel", args: [:], signers: ["ben", "cat"], time: 5))
        #expect(r.payments == [Payment(to: "corp/treasury", currency: "USD", amount: 5000)])
        let t = try ok(c.advance(s.state, time: 500)!)
        #expect(t.payments == [Payment(to: "corp/treasury", currency: "USD", amount: 5000)] && t.state.closed)
    }
}

@Suite struct TimelockTests {
    let c = Fixtures.contract("timelock")

    @Test func claimOnlyAfterUnlock() throws {
        let s = try ok(c.open(params: Fixtures.timelockParams, deposit: [("EUR", 300)], time: 0))
        #expect(code(c.act(s.state, action: "claim", args: [:], signers: ["bob"], time: 99)) == "too_early")
        #expect(code(c.act(s.state, action: "claim", args: [:], signers: ["alice"], time: 150)) == "unauthorized")
        let r = try ok(c.act(s.state, action: "claim", args: [:], signers: ["bob"], time: 100))
        #expect(r.payments == [Payment(to: "bob/main", currency: "EUR", amount: 300)])
    }

    @Test func refundAtDeadline() throws {
        let s = try ok(c.open(params: Fixtures.timelockParams, deposit: [("EUR", 300)], time: 0))
        #expect(c.advance(s.state, time: 199) == nil)
        let r = try ok(c.advance(s.state, time: 200)!)
        #expect(r.payments == [Payment(to: "alice/main", currency: "EUR", amount: 300)] && r.state.closed)
    }

    @Test func cancelNeedsBoth() throws {
        let s = try ok(c.open(params: Fixtures.timelockParams, deposit: [("EUR", 300), ("USD", 7)], time: 0))
        #expect(code(c.act(s.state, action: "cancel", args: [:], signers: ["alice"], time: 1)) == "unauthorized")
        let r = try ok(c.act(s.state, action: "cancel", args: [:], signers: ["alice", "bob"], time: 1))
        #expect(
            r.payments == [Payment(to: "alice/main", currency: "EUR", amount: 300), Payment(to: "alice/main", currency: "USD", amount: 7)])
    }
}

@Suite struct HTLCTests {
    let c = Fixtures.contract("htlc")

    @Test func claimWithPreimage() throws {
        let s = try ok(c.open(params: Fixtures.htlcParams, deposit: [("EUR", 700)], time: 0))
        #expect(
            code(c.act(s.state, action: "claim", args: ["secret": .bytes(Array("wrong".utf8))], signers: ["bob"], time: 10))
                == "preimage_mismatch")
        #expect(
            code(c.act(s.state, action: "claim", args: ["secret": .bytes(Fixtures.secret)], signers: ["alice"], time: 10)) == "unauthorized"
        )
        #expect(code(c.act(s.state, action: "claim", args: ["secret": .int(3)], signers: ["bob"], time: 10)) == "type_mismatch")
        let r = try ok(c.act(s.state, action: "claim", args: ["secret": .bytes(Fixtures.secret)], signers: ["bob"], time: 10))
        #expect(r.payments == [Payment(to: "bob/main", currency: "EUR", amount: 700)] && r.state.closed)
    }

    @Test func refundAfterDeadline() throws {
        let s = try ok(c.open(params: Fixtures.htlcParams, deposit: [("EUR", 700)], time: 0))
        #expect(code(c.act(s.state, action: "claim", args: ["secret": .bytes(Fixtures.secret)], signers: ["bob"], time: 300)) == "expired")
        let r = try ok(c.advance(s.state, time: 300)!)
        #expect(r.payments == [Payment(to: "alice/main", currency: "EUR", amount: 700)])
    }
}

@Suite struct DVPTests {
    let c = Fixtures.contract("dvp")

    func opened() throws -> Step { try ok(c.open(params: Fixtures.dvpParams, deposit: [], time: 0)) }

    @Test func deliveryThenPayment() throws {
        let s = try opened()
        #expect(s.state.locked.isEmpty)
        let d = try ok(c.act(s.state, action: "deliver", args: [:], signers: ["sam"], time: 10))
        #expect(d.deposits == [Deposit(from: "sam/custody", currency: "BOND", amount: 10)])
        #expect(d.state.locked("BOND") == 10 && d.state.nextTimeout == 200)
        let p = try ok(c.act(d.state, action: "payment", args: [:], signers: ["bea"], time: 150))
        #expect(p.deposits == [Deposit(from: "bea/cash", currency: "EUR", amount: 9_950)])
        #expect(
            p.payments == [
                Payment(to: "bea/custody", currency: "BOND", amount: 10), Payment(to: "sam/cash", currency: "EUR", amount: 9_950),
            ])
        #expect(p.state.closed)
    }

    @Test func paymentThenDelivery() throws {
        let s = try opened()
        let p = try ok(c.act(s.state, action: "payment", args: [:], signers: ["bea"], time: 10))
        #expect(p.state.nextTimeout == 101)
        #expect(code(c.act(p.state, action: "deliver", args: [:], signers: ["bea"], time: 20)) == "unauthorized")
        #expect(code(c.act(p.state, action: "deliver", args: [:], signers: ["sam"], time: 100)) == "too_late")
        let d = try ok(c.act(p.state, action: "deliver", args: [:], signers: ["sam"], time: 99))
        #expect(
            d.payments == [
                Payment(to: "bea/custody", currency: "BOND", amount: 10), Payment(to: "sam/cash", currency: "EUR", amount: 9_950),
            ])
    }

    @Test func missedLegsRefund() throws {
        let s = try opened()
        // Nothing happens: nothing to refund.
        let none = try ok(c.advance(s.state, time: 100)!)
        #expect(none.state.closed && none.payments.isEmpty)
        // Delivered, payment missed: the seller gets the bonds back.
        let d = try ok(c.act(s.state, action: "deliver", args: [:], signers: ["sam"], time: 10))
        #expect(c.advance(d.state, time: 199) == nil)
        let r1 = try ok(c.advance(d.state, time: 200)!)
        #expect(r1.payments == [Payment(to: "sam/custody", currency: "BOND", amount: 10)])
        // Paid, delivery missed: the buyer gets the cash back.
        let p = try ok(c.act(s.state, action: "payment", args: [:], signers: ["bea"], time: 10))
        let r2 = try ok(c.advance(p.state, time: 101)!)
        #expect(r2.payments == [Payment(to: "bea/cash", currency: "EUR", amount: 9_950)])
    }

    @Test func depositNeedsOwnerSignature() throws {
        let s = try opened()
        #expect(code(c.act(s.state, action: "deliver", args: [:], signers: ["bea"], time: 10)) == "unauthorized")
    }
}
