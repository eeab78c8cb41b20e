import CairnCore
import Testing

/// The offline verifiers follow c2sp.org/signed-note, tlog-checkpoint and tlog-proof where they are
/// strict, and Cairn's checkpoint body (DESIGN §1.4) exactly: each case is a valid artifact with one
/// thing wrong, `desc` saying what and `wantErr` a part of the error it must get.
@Suite struct StrictVerifierTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var desc: String
        var kind: NoteFixture.Kind
        /// For `.checkpoint`, edits the body's lines, which are then signed afresh, so only the body
        /// is wrong; for the others, edits the encoded artifact's lines (each without its newline).
        var edit: @Sendable ([String]) -> [String]
        var wantErr: String
        var testDescription: String { "\(kind.rawValue): \(desc)" }

        /// The edited artifact: lines joined with newlines, a final newline when the last line is not empty.
        var text: String {
            let original = kind == .checkpoint ? NoteFixture.body() : NoteFixture.encoded(kind)
            let lines = edit(Array(original.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)))
            let text = lines.joined(separator: "\n") + "\n"
            return kind == .checkpoint ? NoteFixture.signed(text).encoded : text
        }
    }

    static let hex = NoteFixture.blockHash.hex
    static let root = Merkle.root(leafHashes: NoteFixture.leafHashes).base64

    /// Replaces line `i` (negative: from the end).
    static func set(_ i: Int, _ value: String) -> @Sendable ([String]) -> [String] {
        { l in
            var l = l
            l[i < 0 ? l.count + i : i] = value
            return l
        }
    }

    static func block(_ line: String, _ desc: String) -> Case {
        Case(desc: desc, kind: .checkpoint, edit: set(3, line), wantErr: "is not \"cairn-block <height>")
    }

    static let bodyCases: [Case] = [
        Case(desc: "no cairn-block line", kind: .checkpoint, edit: { Array($0.prefix(3)) }, wantErr: "no cairn-block line"),
        Case(desc: "two cairn-block lines", kind: .checkpoint, edit: { $0 + [$0[3]] }, wantErr: "2 cairn-block lines"),
        Case(
            desc: "two cairn-block lines, different heights", kind: .checkpoint, edit: { $0 + ["cairn-block 4 \(hex)"] },
            wantErr: "2 cairn-block lines"),
        Case(
            desc: "cairn-block before another extension", kind: .checkpoint, edit: { $0 + ["other-ext 1"] },
            wantErr: "extension line other than cairn-block"),
        Case(
            desc: "another extension before cairn-block", kind: .checkpoint, edit: { Array($0.prefix(3)) + ["other-ext 1", $0[3]] },
            wantErr: "extension line other than cairn-block"),
        Case(desc: "an empty extension line", kind: .checkpoint, edit: { $0 + [""] }, wantErr: "extension line other than cairn-block"),
        block("cairn-block 03 \(hex)", "height with a leading zero"),
        block("cairn-block +3 \(hex)", "height with a sign"),
        block("cairn-block -3 \(hex)", "negative height"),
        block("cairn-block 18446744073709551616 \(hex)", "height beyond 64 bits"),
        block("cairn-block  3 \(hex)", "two spaces"),
        block("cairn-block 3 \(hex) ", "a trailing space"),
        block("cairn-block 3 \(hex.uppercased())", "upper-case hex"),
        block("cairn-block 3 \(hex.dropLast())", "63 hex digits"),
        block("cairn-block 3 \(hex)0", "65 hex digits"),
        block("cairn-block 3 \(NoteFixture.blockHash.base64)", "base64 instead of hex"),
        block("cairn-block 3", "no hash"),
        block("cairn-block", "no fields"),
        block("cairn-blocks 3 \(hex)", "a misspelt keyword"),
        Case(desc: "size with a leading zero", kind: .checkpoint, edit: set(1, "05"), wantErr: "size \"05\""),
        Case(desc: "size with a sign", kind: .checkpoint, edit: set(1, "+5"), wantErr: "size \"+5\""),
        Case(desc: "negative zero size", kind: .checkpoint, edit: set(1, "-0"), wantErr: "size \"-0\""),
        Case(desc: "size with a space", kind: .checkpoint, edit: set(1, "5 "), wantErr: "size \"5 \""),
        Case(desc: "empty size", kind: .checkpoint, edit: set(1, ""), wantErr: "size \"\""),
        Case(desc: "size in hex", kind: .checkpoint, edit: set(1, "0x5"), wantErr: "size \"0x5\""),
        Case(desc: "size beyond 64 bits", kind: .checkpoint, edit: set(1, "18446744073709551616"), wantErr: "is not a decimal"),
        Case(desc: "root without padding", kind: .checkpoint, edit: set(2, String(root.dropLast())), wantErr: "root"),
        Case(desc: "root of 31 bytes", kind: .checkpoint, edit: set(2, Base64.encode([UInt8](repeating: 1, count: 31))), wantErr: "root"),
        Case(desc: "root of 33 bytes", kind: .checkpoint, edit: set(2, Base64.encode([UInt8](repeating: 1, count: 33))), wantErr: "root"),
        Case(
            desc: "root with non-zero padding bits", kind: .checkpoint,
            edit: set(2, String(root.dropLast(2)) + (root.dropLast().last == "B" ? "C=" : "B=")), wantErr: "root"),
        Case(desc: "root in URL-safe base64", kind: .checkpoint, edit: set(2, "-" + root.dropFirst()), wantErr: "root"),
        Case(desc: "root in hex", kind: .checkpoint, edit: set(2, hex), wantErr: "root"),
        Case(desc: "empty origin", kind: .checkpoint, edit: set(0, ""), wantErr: "origin line is empty"),
        Case(desc: "only two lines", kind: .checkpoint, edit: { Array($0.prefix(2)) }, wantErr: "fewer than three lines"),
    ]

    static let noteCases: [Case] = [
        Case(desc: "no signature lines", kind: .note, edit: { Array($0.prefix(5)) }, wantErr: "no signature lines"),
        Case(desc: "no blank line", kind: .note, edit: { Array($0.prefix(4)) + $0.dropFirst(5) }, wantErr: "no blank line"),
        Case(desc: "a hyphen for the em dash", kind: .note, edit: { set(5, "-" + $0[5].dropFirst())($0) }, wantErr: "em dash"),
        Case(desc: "an en dash for the em dash", kind: .note, edit: { set(5, "\u{2013}" + $0[5].dropFirst())($0) }, wantErr: "em dash"),
        Case(desc: "no space after the em dash", kind: .note, edit: { set(5, "\u{2014}" + $0[5].dropFirst(2))($0) }, wantErr: "em dash"),
        Case(
            desc: "two spaces after the name", kind: .note, edit: { set(5, $0[5].replacingFirst(".example ", with: ".example  "))($0) },
            wantErr: "is not \"— <key name>"),
        Case(desc: "a trailing space", kind: .note, edit: { set(-1, $0[$0.count - 1] + " ")($0) }, wantErr: "is not \"— <key name>"),
        Case(
            desc: "a name with +", kind: .note, edit: { set(5, $0[5].replacingFirst("validator-a", with: "validator+a"))($0) },
            wantErr: "is not \"— <key name>"),
        Case(
            desc: "no name", kind: .note, edit: { set(5, "\u{2014}  " + $0[5].split(separator: " ")[2])($0) },
            wantErr: "is not \"— <key name>"),
        Case(desc: "unpadded base64", kind: .note, edit: { set(5, String($0[5].dropLast()))($0) }, wantErr: "padded base64"),
        Case(desc: "four bytes of signature", kind: .note, edit: { $0 + ["\u{2014} x.example AAAAAA=="] }, wantErr: "padded base64"),
        Case(desc: "a carriage return", kind: .note, edit: { set(5, $0[5] + "\r")($0) }, wantErr: "control character 0x0d"),
        Case(desc: "a tab", kind: .note, edit: { set(0, $0[0] + "\t")($0) }, wantErr: "control character 0x09"),
        Case(desc: "a repeated line", kind: .note, edit: { $0 + [$0[5]] }, wantErr: "two signature lines by key validator-a.example+"),
        Case(
            desc: "a repeated line first", kind: .note, edit: { Array($0.prefix(5)) + [$0[7]] + $0.dropFirst(5) },
            wantErr: "two signature lines by key witness-1.example+"),
        Case(
            desc: "a second, different line by the same key", kind: .note,
            edit: {
                $0 + [
                    "\u{2014} validator-a.example "
                        + Base64.encode(NoteFixture.validatorA.verifierKey.keyIDBytes + [UInt8](repeating: 0, count: 64))
                ]
            },
            wantErr: "two signature lines by key validator-a.example+"),
        Case(
            desc: "101 signature lines", kind: .note,
            edit: { l in l + (0..<98).map { "\u{2014} other-\($0).example " + Base64.encode([UInt8](repeating: UInt8($0), count: 68)) } },
            wantErr: "more than 100 signature lines"),
    ]

    static let proofCases: [Case] = [
        Case(desc: "index with a leading zero", kind: .proof, edit: set(2, "index 02"), wantErr: "malformed index line"),
        Case(desc: "index with a sign", kind: .proof, edit: set(2, "index +2"), wantErr: "malformed index line"),
        Case(desc: "index with two spaces", kind: .proof, edit: set(2, "index  2"), wantErr: "malformed index line"),
        Case(desc: "extra without padding", kind: .proof, edit: { set(1, String($0[1].dropLast()))($0) }, wantErr: "extra line"),
        Case(
            desc: "a blank line after the proof", kind: .proof, edit: { $0 + [""] }, wantErr: "does not start with c2sp.org/tlog-proof@v1"),
        Case(
            desc: "a hash line of 31 bytes", kind: .proof, edit: set(3, Base64.encode([UInt8](repeating: 0, count: 31))),
            wantErr: "not a base64 hash"),
        Case(desc: "a bad checkpoint body", kind: .proof, edit: set(-5, "cairn-block 3 \(hex.uppercased())"), wantErr: "invalid signature"),
        Case(desc: "old with a leading zero", kind: .consistency, edit: set(0, "old 03"), wantErr: "does not start with \"old <N>\""),
        Case(desc: "old with a sign", kind: .consistency, edit: set(0, "old +3"), wantErr: "does not start with \"old <N>\""),
        Case(desc: "a signature line that is not one", kind: .consistency, edit: { $0 + ["x"] }, wantErr: "em dash"),
    ]

    /// Every case is refused, with an error naming what is wrong.
    @Test(arguments: bodyCases + noteCases + proofCases)
    func offlineVerifiersAreStrictWhereTheSpecsAreStrict(_ c: Case) {
        let text = c.text
        #expect(text != NoteFixture.encoded(c.kind == .checkpoint ? .note : c.kind), "the edit changes the artifact")
        let error = #expect(throws: CairnError.self) { try NoteFixture.check(c.kind, text) }
        #expect(error?.message.contains(c.wantErr) == true, "\(error?.message ?? "accepted")")
    }

    /// The last line of a note, proof or consistency proof ends in a newline: dropping it, or the
    /// whole last line but the start of it, is refused.
    @Test(arguments: NoteFixture.Kind.allCases)
    func everyArtifactEndsInANewline(_ kind: NoteFixture.Kind) {
        let full = NoteFixture.encoded(kind)
        for cut in [1, 2, 10, 40] {
            #expect(throws: CairnError.self, "\(kind) without its last \(cut) bytes") {
                try NoteFixture.check(kind, String(full.dropLast(cut)))
            }
        }
        #expect(throws: CairnError.self) { try Checkpoint(parsing: String(NoteFixture.body().dropLast())) }
    }

    /// A line from a known key whose signature does not verify refuses the note (Go's `note.Open`
    /// answers "invalid signature"), wherever it stands and whatever else signed; the error names the
    /// signer and the key id. A bad line from an unknown key is ignored, as the spec requires.
    @Test func aKnownKeysBadSignatureRefusesTheNote() throws {
        let text = NoteFixture.body()
        let a = NoteFixture.validatorA
        let w = NoteFixture.witness
        var good = SignedNote(text: text)
        good.sign(with: a)
        let goodA = good.signatures[0]
        good.cosign(with: w, timestamp: 1_800_000_000)
        let goodW = good.signatures[1]
        func flipped(_ s: SignedNote.Signature, at i: Int) -> SignedNote.Signature {
            var s = s
            s.blob[i] ^= 0x01
            return s
        }
        var b = SignedNote(text: text)
        b.sign(with: NoteFixture.validatorB)
        let badB = flipped(b.signatures[0], at: 40)
        let variants: [(String, [SignedNote.Signature], SigningKey)] = [
            ("the second validator's signature flipped, after a good one", [goodA, badB], NoteFixture.validatorB),
            ("the second validator's signature flipped, first", [badB, goodA, goodW], NoteFixture.validatorB),
            ("the first validator's last byte flipped", [flipped(goodA, at: 67), goodW], a),
            ("the validator's signature truncated", [SignedNote.Signature(name: a.name, blob: Array(goodA.blob.dropLast())), goodW], a),
            (
                "the validator's line with a cosignature's length",
                [SignedNote.Signature(name: a.name, blob: goodA.blob + [0, 0, 0, 0, 0, 0, 0, 0]), goodW], a
            ),
            ("the witness's signature flipped", [goodA, flipped(goodW, at: 50)], w),
            ("the witness's timestamp changed", [goodA, flipped(goodW, at: 11)], w),
            ("the witness's cosignature truncated", [goodA, SignedNote.Signature(name: w.name, blob: Array(goodW.blob.prefix(68)))], w),
        ]
        for (desc, signatures, culprit) in variants {
            let encoded = SignedNote(text: text, signatures: signatures).encoded
            let note = try SignedNote(parsing: encoded)
            guard case .failure(let e) = note.open(keys: NoteFixture.keys) else {
                Issue.record("\(desc): accepted")
                continue
            }
            #expect(e.code == .badSignature, "\(desc)")
            #expect(e.message.contains("\(culprit.name)+\(culprit.verifierKey.keyIDHex)"), "\(desc): \(e.message)")
            #expect(note.verify(keys: NoteFixture.keys).invalid == [culprit.verifierKey], "\(desc)")
            // And through the proof file.
            let proof = TlogProof(extra: NoteFixture.proof.extra, index: 2, hashes: NoteFixture.proof.hashes, checkpoint: note)
            #expect(throws: CairnError.self, "\(desc), in a proof") { try NoteFixture.check(.proof, proof.encoded) }
        }
        // A bad line by a key the verifier does not know is ignored, by any name.
        for name in ["stranger.example", a.name] {
            let stranger = SignedNote.Signature(name: name, blob: [0xde, 0xad, 0xbe, 0xef] + [UInt8](repeating: 7, count: 64))
            let note = try SignedNote(parsing: SignedNote(text: text, signatures: [goodA, stranger, goodW]).encoded)
            #expect(try note.open(keys: NoteFixture.keys).get() == [a.verifierKey, w.verifierKey], "unknown key named \(name)")
        }
    }

    /// What the strict rules leave valid still verifies: the fixtures, any order of signature lines
    /// (the signatures cover the text only, and neither spec orders them), and two proofs in a row.
    @Test func validArtifactsStillVerify() throws {
        for kind in NoteFixture.Kind.allCases {
            let text = NoteFixture.encoded(kind)
            let (note, verified) = try NoteFixture.check(kind, text)
            #expect(Set(verified) == Set(NoteFixture.keys), "\(kind)")
            #expect(note == NoteFixture.note, "\(kind)")
        }
        #expect(try TlogProof.parseMany(NoteFixture.proof.encoded) == [NoteFixture.proof])
        #expect(try ConsistencyProofFile(parsing: NoteFixture.consistency.encoded) == NoteFixture.consistency)
        let checkpoint = try Checkpoint(parsing: NoteFixture.body())
        #expect(checkpoint.text == NoteFixture.body())
        #expect(checkpoint.block?.height == 3 && checkpoint.block?.hash == NoteFixture.blockHash)
        for size in [0, 1, 5] {
            let text = NoteFixture.body(size: size)
            #expect(try Checkpoint(parsing: text).size == UInt64(size))
        }
        let sigs = NoteFixture.note.signatures
        for order in [[2, 1, 0], [1, 0, 2], [0, 2, 1]] {
            let text = SignedNote(text: NoteFixture.note.text, signatures: order.map { sigs[$0] }).encoded
            #expect(try Set(NoteFixture.check(.checkpoint, text).verified) == Set(NoteFixture.keys), "\(order)")
        }
        let two = NoteFixture.proof.encoded + NoteFixture.proof.encoded
        #expect(try TlogProof.parseMany(two) == [NoteFixture.proof, NoteFixture.proof])
        // An empty consistency proof (old = size) has no hash lines.
        let same = ConsistencyProofFile(oldSize: 5, hashes: [], checkpoint: NoteFixture.note)
        #expect(try NoteFixture.check(.consistency, same.encoded).verified.count == 3)
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}
