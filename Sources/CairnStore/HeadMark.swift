import CairnCore
import CairnLedger
import Foundation

/// A durable record, outside the database, of the last block a store appended: `<database>-head`,
/// holding `cairn-head <height> <hash>\n`. It is replaced atomically (written, fsynced, renamed
/// over the old one, and the directory fsynced) after each append. SQLite's write-ahead log can
/// be lost with a disk or a careless copy; the ledger would then open at an older block, `verify`
/// would pass, and the validator would seal those heights again with other content. Opening a
/// store that is behind its mark is refused instead, naming both heights.
struct HeadMark: Equatable {
    var height: UInt64
    var hash: Hash

    static func path(for database: String) -> String { database + "-head" }

    var encoded: String { "cairn-head \(height) \(hash.hex)\n" }

    /// The mark beside `database`, or nil when there is none (a ledger of an earlier build, or a
    /// copy made without it: it gets one with its next block).
    static func read(for database: String) throws -> HeadMark? {
        let path = path(for: database)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try readText(path)
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard text.hasSuffix("\n"), parts.count == 3, parts[0] == "cairn-head", let height = UInt64(parts[1]),
            String(height) == parts[1], let hash = Hash(hex: String(parts[2].dropLast()))
        else {
            throw CairnError(.storage, "couldn't read \(path): it is not a Cairn head mark (`cairn-head <height> <hash>`)")
        }
        return HeadMark(height: height, hash: hash)
    }

    /// Writes the mark in place of the last (`writeDurably`).
    func store(for database: String) throws { try writeDurably(encoded, to: HeadMark.path(for: database)) }

    /// Refuses a store whose head is behind the mark, or that holds another block at the mark's
    /// height: it lost writes it had made durable, and must be restored, not built on.
    func check(head: StoredBlock, blockAtMark: StoredBlock?, database: String) throws {
        guard head.header.height >= height else {
            throw CairnError(
                .storage,
                "couldn't open the ledger: \(database) ends at block \(head.header.height), but it had appended block \(height) (\(hash.hex), recorded in \(HeadMark.path(for: database))). Its write-ahead log was lost or an older copy was restored; nothing was changed. Restore it from a backup or a peer, and do not seal on it"
            )
        }
        // The header's own hash: an edited hash column is `verify`'s to name, not a lost write.
        guard let b = blockAtMark, b.header.hash == hash else {
            throw CairnError(
                .storage,
                "couldn't open the ledger: block \(height) of \(database) is not the block \(hash.hex) it had appended (\(HeadMark.path(for: database))); nothing was changed. Restore it from a backup or a peer"
            )
        }
    }
}
