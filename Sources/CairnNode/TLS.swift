import CairnCore
import CairnStore
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// TLS 1.3 settings shared by the node, the witness and their clients (DESIGN §4).
public enum TLSSettings {
    /// BoringSSL's default verify list plus Ed25519, so Ed25519 certificates verify as well as P-256.
    static let signatureAlgorithms: [SignatureAlgorithm] = [
        .ecdsaSecp256R1Sha256, .rsaPssRsaeSha256, .rsaPkcs1Sha256, .ecdsaSecp384R1Sha384, .rsaPssRsaeSha384, .rsaPkcs1Sha384,
        .rsaPssRsaeSha512, .rsaPkcs1Sha512, .ed25519,
    ]

    /// A server: its certificate chain and key; with `clientCA`, client certificates from that CA are required.
    public static func server(cert: String, key: String, clientCA: String?) throws -> TLSConfiguration {
        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: try load(cert, "--tls-cert") { try NIOSSLCertificate.fromPEMFile($0).map { .certificate($0) } },
            privateKey: .privateKey(try load(key, "--tls-key") { try NIOSSLPrivateKey(file: $0, format: .pem) }))
        c.minimumTLSVersion = .tlsv13
        c.verifySignatureAlgorithms = signatureAlgorithms
        if let clientCA {
            c.trustRoots = .certificates(try load(clientCA, "--client-ca") { try NIOSSLCertificate.fromPEMFile($0) })
            // Verified when presented; the API refuses requests without one on every route but /healthz.
            c.certificateVerification = .optionalVerification
        }
        return c
    }

    /// `server(cert:key:clientCA:)` when a certificate is given; nil (plain HTTP) when none is.
    public static func server(cert: String?, key: String?, clientCA: String?) throws -> TLSConfiguration? {
        guard let cert, let key else {
            guard cert == nil, key == nil, clientCA == nil else {
                throw CairnError(.usage, "TLS needs both --tls-cert and --tls-key; --client-ca needs them too")
            }
            return nil
        }
        return try server(cert: cert, key: key, clientCA: clientCA)
    }

    /// A client: trusts `ca` (else the system roots) and presents `cert` and `key` when given.
    public static func client(cert: String?, key: String?, ca: String?) throws -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv13
        c.verifySignatureAlgorithms = signatureAlgorithms
        if let ca { c.trustRoots = .certificates(try load(ca, "--ca") { try NIOSSLCertificate.fromPEMFile($0) }) }
        guard (cert == nil) == (key == nil) else { throw CairnError(.usage, "give --tls-cert and --tls-key together") }
        if let cert, let key {
            c.certificateChain = try load(cert, "--tls-cert") { try NIOSSLCertificate.fromPEMFile($0).map { .certificate($0) } }
            c.privateKey = .privateKey(try load(key, "--tls-key") { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        return c
    }

    private static func load<T>(_ path: String, _ option: String, _ body: (String) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw CairnError(.notFound, "\(option) \(path) does not exist") }
        do { return try body(path) } catch { throw CairnError(.invalidKey, "\(option) \(path) is not a PEM file TLS can use: \(error)") }
    }
}

/// A test certificate authority and the certificates it issues (`cairn cert`): enough to turn on
/// mTLS in minutes. Real deployments use their own PKI; only the SAN dNSName matters to Cairn.
public enum TestCA {
    public enum Algorithm: String, CaseIterable, Sendable { case ed25519, p256 }

    /// Writes `ca.pem` and `ca-key.pem` into `dir`.
    public static func create(dir: String, name: String, algorithm: Algorithm) throws {
        let key = makeKey(algorithm)
        let subject = try DistinguishedName { CommonName(name) }
        let now = Date()
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey, notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86_400), issuer: subject, subject: subject,
            signatureAlgorithm: signatureAlgorithm(for: algorithm),
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            }, issuerPrivateKey: key)
        try write(try cert.serializeAsPEM().pemString, to: dir + "/ca.pem")
        try writeSecret(try key.serializeAsPEM().pemString, to: dir + "/ca-key.pem")
    }

    /// Issues a certificate for `name` (the SAN dNSName, a genesis member name or a host name;
    /// plus `ips` as SAN IP addresses) signed by the CA in `caDir`; writes `<out>.pem` and `<out>-key.pem`.
    public static func issue(caDir: String, name: String, ips: [String], out: String, algorithm: Algorithm) throws {
        let caCert = try Certificate(pemEncoded: try String(contentsOfFile: caDir + "/ca.pem", encoding: .utf8))
        let caKey = try Certificate.PrivateKey(pemEncoded: try String(contentsOfFile: caDir + "/ca-key.pem", encoding: .utf8))
        let key = makeKey(algorithm)
        var names: [GeneralName] = [.dnsName(name)]
        for ip in ips {
            guard let bytes = ipv4(ip) else { throw CairnError(.usage, "--ip \(ip) is not an IPv4 address") }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        let now = Date()
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey, notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(2 * 365 * 86_400), issuer: caCert.subject,
            subject: try DistinguishedName { CommonName(name) },
            signatureAlgorithm: caCert.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
            }, issuerPrivateKey: caKey)
        try write(try cert.serializeAsPEM().pemString, to: out + ".pem")
        try writeSecret(try key.serializeAsPEM().pemString, to: out + "-key.pem")
    }

    private static func makeKey(_ a: Algorithm) -> Certificate.PrivateKey {
        switch a {
        case .ed25519: Certificate.PrivateKey(Curve25519.Signing.PrivateKey())
        case .p256: Certificate.PrivateKey(P256.Signing.PrivateKey())
        }
    }

    private static func signatureAlgorithm(for a: Algorithm) -> Certificate.SignatureAlgorithm {
        switch a {
        case .ed25519: .ed25519
        case .p256: .ecdsaWithSHA256
        }
    }

    private static func ipv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    private static func write(_ text: String, to path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CairnError(.storage, "couldn't write \(path): \(error.localizedDescription)")
        }
    }
}
