import CairnFuzzSupport
import Foundation
import Testing

@testable import CairnExport

/// A seeded fuzz of the pacs.008 reader: byte mutations of a valid document, and structure-aware
/// ones (a transfer duplicated or dropped, elements swapped, a name 1 MB long, amounts too large
/// for the schema, invalid UTF-8, a wrong encoding declaration, nesting 10,000 deep, an entity
/// expansion bomb, an external entity naming a local file). Nothing may crash or hang (libxml2's
/// depth and entity limits hold, and nothing is fetched or substituted); a refusal carries at least
/// one issue; and what is accepted is what the document says: one intent per `CdtTrfTxInf`, each
/// with mapped accounts, a schema-valid amount and its element path.
@Suite struct FuzzPacs008Tests {
    static let iterations = 1_500

    static let map = AccountMap(
        accounts: ["DE89370400440532013000": "bank-a.example/eur", "ACC-B-EUR": "bank-b.example/eur"],
        agents: ["BANKDEFFXXX": "bank-a.example", "BANKGB2LXXX": "bank-b.example", "BANKJPJTXXX": "bank-c.example"],
        accountFor: { member, currency in "\(member)/\(currency.lowercased())" })

    static let tokens: [[UInt8]] = ["<", ">", "/", "\"", "=", "&", ";", "<!--", "-->", "<![CDATA[", "]]>", " ", "\n", "0", "9", ".", "E"]
        .map {
            Array($0.utf8)
        }

    /// The text between the first `<open>` and the matching close of each top-level transfer.
    static func transfers(_ text: String) -> [Range<String.Index>] {
        var out: [Range<String.Index>] = []
        var from = text.startIndex
        while let open = text.range(of: "<CdtTrfTxInf>", range: from..<text.endIndex),
            let close = text.range(of: "</CdtTrfTxInf>", range: open.upperBound..<text.endIndex)
        {
            out.append(open.lowerBound..<close.upperBound)
            from = close.upperBound
        }
        return out
    }

    static func structural(_ text: String, _ rng: inout SplitMix64) -> (String, what: String) {
        let transfers = Self.transfers(text)
        switch rng.below(9) {
        case 0:
            let t = rng.pick(transfers)
            return (text.replacingCharacters(in: t.upperBound..<t.upperBound, with: "\n" + text[t]), "a transfer duplicated")
        case 1: return (text.replacingCharacters(in: rng.pick(transfers), with: ""), "a transfer dropped")
        case 2:
            let name = String(repeating: rng.pick(["x", "\u{e9}", "&amp;", "&#x1F600;"]), count: 1 << 18)
            return (text.replacingOccurrences(of: "Bank A customer", with: name), "a long name")
        case 3:
            return (
                text.replacingOccurrences(of: "125.50", with: rng.pick(["99999999999999999999999.99", "1e3", "-1.00", "1.123456", ""])),
                "an amount"
            )
        case 4:
            let deep = 10_000
            let nest = String(repeating: "<Nm>", count: deep) + "x" + String(repeating: "</Nm>", count: deep)
            return (text.replacingOccurrences(of: "<Nm>Bank A customer</Nm>", with: nest), "nesting 10,000 deep")
        case 5:
            var dtd = "<!DOCTYPE Document [<!ENTITY a0 \"lol\">"
            for i in 1...10 { dtd += "<!ENTITY a\(i) \"" + String(repeating: "&a\(i - 1);", count: 10) + "\">" }
            dtd += "]>\n"
            let bomb = text.replacingOccurrences(of: "<Document", with: dtd + "<Document").replacingOccurrences(
                of: "Bank A customer", with: "&a10;")
            return (bomb, "an entity expansion bomb")
        case 6:
            let dtd = "<!DOCTYPE Document [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
            let xxe = text.replacingOccurrences(of: "<Document", with: dtd + "<Document").replacingOccurrences(
                of: "ACC-B-EUR", with: "&x;")
            return (xxe, "an external entity")
        case 7:
            return (
                text.replacingOccurrences(of: "encoding=\"UTF-8\"", with: rng.pick(["encoding=\"UTF-16\"", "encoding=\"EBCDIC\""])),
                "encoding"
            )
        default:
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            lines.swapAt(rng.below(lines.count), rng.below(lines.count))
            return (lines.joined(separator: "\n"), "two lines swapped")
        }
    }

    @Test func mutantsAreReadAsWhatTheySayOrRefusedWithIssues() throws {
        let seed = Fuzz.seed(0x9ac5_0001)
        print("FuzzPacs008Tests: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        let original = try XMLTest.resource("pacs008-two-transfers.xml")
        let text = String(decoding: original, as: UTF8.self)
        let secret = (try? String(contentsOfFile: "/etc/passwd", encoding: .utf8))?.split(separator: "\n").first.map(String.init)
        var accepted = 0
        for i in 0..<Self.iterations {
            let bytes: [UInt8]
            var what = "bytes"
            if rng.chance(3) {
                let (t, w) = Self.structural(text, &rng)
                bytes = Array(t.utf8)
                what = w
            } else {
                bytes = Fuzz.mutate(original, tokens: Self.tokens, &rng)
            }
            let context = {
                "seed \(seed), iteration \(i), \(what): \(String(decoding: bytes.prefix(600), as: UTF8.self).debugDescription)"
            }
            switch Pacs008Reader.read(bytes, accounts: Self.map) {
            case .failure(let issues):
                #expect(!issues.isEmpty && issues.allSatisfy { $0.line >= 0 && !$0.message.isEmpty }, "\(context())")
            case .success(let intents):
                accepted += 1
                let elements = try XMLTest.withRoot(bytes) { XMLTest.all($0, "FIToFICstmrCdtTrf", "CdtTrfTxInf").count }
                #expect(intents.count == elements, "\(context())")
                for (k, intent) in intents.enumerated() {
                    // Each side is a mapped account, or a mapped agent's account in the transfer's currency.
                    let mapped = Set(Self.map.accounts.values).union(
                        Self.map.agents.values.compactMap { Self.map.accountFor($0, intent.currency) })
                    #expect(mapped.contains(intent.from) && mapped.contains(intent.to), "\(intent) \(context())")
                    #expect(intent.amount.wholeMatch(of: /[0-9]{1,18}(\.[0-9]{1,5})?/) != nil, "\(intent) \(context())")
                    #expect(intent.currency.wholeMatch(of: /[A-Z]{3}/) != nil, "\(intent) \(context())")
                    #expect(intent.reference == (intent.uetr.map { "\($0)/\(intent.endToEndID)" } ?? intent.endToEndID), "\(context())")
                    let suffix = intents.count > 1 ? "[\(k + 1)]" : ""
                    #expect(intent.path == "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf" + suffix, "\(intent) \(context())")
                    if let secret {
                        #expect(![intent.from, intent.to, intent.endToEndID].contains { $0.contains(secret) }, "\(context())")
                    }
                }
            }
        }
        print("FuzzPacs008Tests: \(accepted) mutants read, each as what it says")
    }
}
