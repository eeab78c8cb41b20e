import CairnCore
import Foundation
import Testing

/// transparency-dev/merkle inclusion vector (`proof` may be null).
struct InclusionVector: Decodable {
    let leafIdx: UInt64
    let treeSize: UInt64
    let root: String
    let leafHash: String
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

/// transparency-dev/merkle consistency vector (`proof` may be null).
struct ConsistencyVector: Decodable {
    let size1: UInt64
    let size2: UInt64
    let root1: String
    let root2: String
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

/// Vector files whose `wantErr` this project overrides to `true`: its roots are
/// 12-byte placeholders, and we insist on 32-byte hashes (see Vectors/README.md).
let wantErrOverrides: Set<String> = ["consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"]

/// Paths (relative to `merkle/`) of every `.json` file under `merkle/<kind>/`, sorted.
func merkleVectorFiles(_ kind: String) -> [String] {
    let base = vectorsDirectory().appendingPathComponent("merkle")
    let dir = base.appendingPathComponent(kind)
    guard let walker = FileManager.default.enumerator(atPath: dir.path) else { return [] }
    return walker.compactMap { $0 as? String }
        .filter { $0.hasSuffix(".json") }
        .map { "\(kind)/\($0)" }
        .sorted()
}

/// Decodes one vector file, runs `isError` on it (true when verification
/// rejects it, including undecodable hashes), and checks that against `wantErr`.
func runVector<V: Decodable>(_ relativePath: String, _: V.Type, wantErr: (V) -> Bool, desc: (V) -> String, isError: (V) -> Bool) throws {
    let url = vectorsDirectory().appendingPathComponent("merkle").appendingPathComponent(relativePath)
    let vector = try JSONDecoder().decode(V.self, from: Data(contentsOf: url))
    let expectErr = wantErr(vector) || wantErrOverrides.contains(relativePath)
    #expect(isError(vector) == expectErr, "\(relativePath): \(desc(vector))")
}

/// Parses base64 hashes; `nil` if any is not exactly 32 bytes of canonical base64.
func hashes(_ texts: [String]?) -> [Hash]? {
    var out: [Hash] = []
    for text in texts ?? [] {
        guard let h = Hash(base64: text) else { return nil }
        out.append(h)
    }
    return out
}

@Suite struct MerkleVectorTests {
    @Test func vectorFilesArePresent() {
        #expect(merkleVectorFiles("inclusion").count >= 90)
        #expect(merkleVectorFiles("consistency").count >= 90)
    }

    @Test func bigIndexParsesExactly() throws {
        let json =
            #"{"leafIdx": 18446744073709551615, "treeSize": 1, "root": "", "leafHash": "", "proof": null, "desc": "", "wantErr": true}"#
        let v = try JSONDecoder().decode(InclusionVector.self, from: Data(json.utf8))
        #expect(v.leafIdx == UInt64.max)
    }

    @Test(arguments: merkleVectorFiles("inclusion"))
    func inclusion(_ path: String) throws {
        try runVector(path, InclusionVector.self, wantErr: \.wantErr, desc: \.desc) { v in
            guard let leaf = Hash(base64: v.leafHash), let root = Hash(base64: v.root),
                let proof = hashes(v.proof)
            else { return true }
            return MerkleVerify.inclusion(leafHash: leaf, index: v.leafIdx, size: v.treeSize, proof: proof, root: root) != .valid
        }
    }

    @Test(arguments: merkleVectorFiles("consistency"))
    func consistency(_ path: String) throws {
        try runVector(path, ConsistencyVector.self, wantErr: \.wantErr, desc: \.desc) { v in
            guard let root1 = Hash(base64: v.root1), let root2 = Hash(base64: v.root2),
                let proof = hashes(v.proof)
            else { return true }
            return MerkleVerify.consistency(oldSize: v.size1, newSize: v.size2, oldRoot: root1, newRoot: root2, proof: proof) != .valid
        }
    }
}
