import CairnCore
import Testing

@Suite struct HashTests {
    let emptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func emptyRootIsSHA256OfNothing() {
        #expect(Merkle.emptyRoot.hex == emptyHex)
        #expect(Merkle.emptyRoot.base64 == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        #expect(Merkle.root(leafHashes: []) == Merkle.emptyRoot)
        #expect(CompactRange().root == Merkle.emptyRoot)
    }

    @Test func leafAndNodeHashesMatchReference() {
        // RFC 6962 empty leaf: 6e340b9c…
        #expect(Merkle.leafHash([UInt8]()).hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        for text in ["", "a", "leaf", String(repeating: "x", count: 1000)] {
            let bytes = Array(text.utf8)
            #expect(Merkle.leafHash(bytes) == Reference.leafHash(bytes))
            #expect(Merkle.leafHash(bytes[...]) == Reference.leafHash(bytes))  // slice
            #expect(Merkle.leafHash(bytes.lazy.map { $0 }) == Reference.leafHash(bytes))  // non-contiguous path
        }
        let a = Hash.sha256(Array("a".utf8))
        let b = Hash.sha256(Array("b".utf8))
        #expect(Merkle.nodeHash(a, b) == Reference.nodeHash(a, b))
        #expect(Merkle.nodeHash(a, b) != Merkle.nodeHash(b, a))
    }

    @Test func byteInitRequires32Bytes() {
        #expect(Hash([UInt8](repeating: 7, count: 32))?.bytes == [UInt8](repeating: 7, count: 32))
        #expect(Hash([UInt8](repeating: 7, count: 31)) == nil)
        #expect(Hash([UInt8](repeating: 7, count: 33)) == nil)
        #expect(Hash([UInt8]()) == nil)
        let bytes = (0..<32).map { UInt8($0) }
        #expect(Hash(bytes)!.bytes == bytes)
    }

    @Test func hexRoundTripAndRejects() throws {
        let h = try #require(Hash(hex: emptyHex))
        #expect(h == Merkle.emptyRoot)
        #expect(h.description == emptyHex)
        #expect(Hash(hex: emptyHex.uppercased()) == nil)  // hashes and ids are lowercase only
        #expect(Hash(hex: String(emptyHex.dropLast())) == nil)
        #expect(Hash(hex: String(emptyHex.dropLast(2))) == nil)
        #expect(Hash(hex: emptyHex + "00") == nil)
        #expect(Hash(hex: "g" + emptyHex.dropFirst()) == nil)
        #expect(Hash(hex: " " + emptyHex.dropFirst()) == nil)
        #expect(Hash(hex: "") == nil)
    }

    @Test func base64RoundTripAndRejects() throws {
        for seed in 0..<50 {
            let h = Hash.sha256([UInt8(seed)])
            #expect(Hash(base64: h.base64) == h)
            #expect(h.base64.count == 44)
        }
        let good = Merkle.emptyRoot.base64
        #expect(Hash(base64: String(good.dropLast())) == nil)  // no padding
        #expect(Hash(base64: good + "====") == nil)  // 35+ bytes
        #expect(Hash(base64: "ZG9uJ3QgY2FyZSAy") == nil)  // 12 bytes
        #expect(Hash(base64: "") == nil)
        #expect(Hash(base64: "*" + good.dropFirst()) == nil)  // bad alphabet
        #expect(Hash(base64: "-" + good.dropFirst()) == nil)  // URL alphabet
        #expect(Hash(base64: " " + good.dropFirst()) == nil)
        #expect(Hash(base64: "=" + good.dropFirst()) == nil)  // padding first
        // Non-canonical: last data character "U" (20 = 010100) has non-zero pad bits; "V" (010101) too.
        #expect(good.hasSuffix("U="))
        #expect(Hash(base64: good.dropLast(2) + "V=") == nil)
        #expect(Hash(base64: good.dropLast(2) + "U") == nil)
        #expect(Hash(base64: good.dropLast(1) + "==") == nil)
    }

    @Test func comparableIsLexicographicBytes() {
        var hashes = (0..<200).map { Hash.sha256([UInt8($0)]) }
        hashes.append(Hash([UInt8](repeating: 0, count: 32))!)
        hashes.append(Hash([UInt8](repeating: 255, count: 32))!)
        let sorted = hashes.sorted()
        let byBytes = hashes.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        #expect(sorted == byBytes)
        #expect(Set(hashes).count == hashes.count)
    }
}
