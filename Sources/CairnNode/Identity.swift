import CairnCore
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import X509

/// Who is calling: the genesis member named by the client certificate's SAN dNSName (mTLS), or
/// nobody when the node runs without `--client-ca`.
final class Identity: Sendable {
    let genesis: Genesis
    let mutualTLS: Bool
    /// Member names by certificate (DER), so each certificate is parsed once.
    private let cache = Mutex<[[UInt8]: String?]>([:])

    init(genesis: Genesis, mutualTLS: Bool) {
        self.genesis = genesis
        self.mutualTLS = mutualTLS
    }

    /// The member behind the connection, or nil without mTLS. Throws `not_a_member` when the
    /// certificate names no genesis member.
    func member(of channel: any Channel) async throws -> String? {
        guard mutualTLS else { return nil }
        guard let cert = try await channel.nioSSL_peerCertificate().get() else {
            throw APIError.notAMember(
                "no client certificate was presented: this node requires one from its client CA, whose SAN dNSName is your member name")
        }
        let der = try cert.toDERBytes()
        if let known = cache.withLock({ $0[der] }) {
            guard let name = known else { throw APIError.notAMember("the client certificate names no genesis member") }
            return name
        }
        let names = (try? Identity.dnsNames(der: der)) ?? []
        let name = names.first { genesis.member($0) != nil }
        cache.withLock { if $0.count < 10_000 { $0[der] = name } }
        guard let name else {
            throw APIError.notAMember(
                "the client certificate's names [\(names.joined(separator: ", "))] are not genesis members: its SAN dNSName must be a member name"
            )
        }
        return name
    }

    static func dnsNames(der: [UInt8]) throws -> [String] {
        let cert = try Certificate(derEncoded: der)
        guard let san = try cert.extensions.subjectAlternativeNames else { return [] }
        return san.compactMap { if case .dnsName(let n) = $0 { n } else { nil } }
    }
}

/// Roles decide what a member may do: any member may read; partners, issuers and validators may
/// submit and co-sign (auditors and witnesses only read).
enum Permission {
    static let writers: Set<Role> = [.partner, .issuer, .validator]

    static func mayWrite(_ member: String, in genesis: Genesis) -> Bool {
        genesis.member(member)?.roles.contains { writers.contains($0) } ?? false
    }
}

/// A token bucket per client (member, or remote address without mTLS).
final class RateLimiter: Sendable {
    let rate: Double
    let burst: Double
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    init(perSecond rate: Double) {
        self.rate = rate
        self.burst = max(1, rate * 2)
    }

    /// Takes one token; false when the client must wait.
    func allow(_ client: String) -> Bool {
        let now = ContinuousClock.now
        return buckets.withLock { b in
            var (tokens, at) = b[client] ?? (burst, now)
            // `now` is read outside the lock, so another request may have stamped a later one.
            let elapsed = Swift.max(0, Double((now - at).components.attoseconds) / 1e18 + Double((now - at).components.seconds))
            tokens = min(burst, tokens + elapsed * rate)
            let stamp = Swift.max(at, now)
            guard tokens >= 1 else {
                b[client] = (tokens, stamp)
                return false
            }
            b[client] = (tokens - 1, stamp)
            if b.count > 100_000 { b.removeAll() }
            return true
        }
    }
}
