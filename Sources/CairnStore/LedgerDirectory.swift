import CairnCore
import CairnLedger
import Foundation

/// A node's data directory:
/// - `ledger.sqlite` (with its `-wal` and `-shm` files): the ledger;
/// - `genesis.json`: the genesis file as given to `init`, for reference;
/// - `validator.key`: this node's validator key (mode 0600).
public struct LedgerDirectory {
    public let path: String
    public var database: String { path + "/ledger.sqlite" }
    public var keyFile: String { path + "/validator.key" }
    public var genesisFile: String { path + "/genesis.json" }

    public init(_ path: String) { self.path = path }

    /// Creates the directory and a new ledger with block 0. Refuses a directory that already holds a ledger.
    public func initialize(genesisBytes: [UInt8], key: SigningKey) throws -> Ledger {
        let genesis = try Genesis(bytes: genesisBytes)
        let block0 = try Ledger.makeGenesisBlock(genesis: genesis, key: key)
        let fm = FileManager.default
        guard !fm.fileExists(atPath: database) else {
            throw CairnError(.storage, "couldn't initialise \(path): it already holds a ledger")
        }
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        try writeSecret(key.encoded, to: keyFile)
        try Data(genesisBytes).write(to: URL(fileURLWithPath: genesisFile))
        let store = try SQLiteStore.create(path: database, genesis: genesis, genesisBlock: block0)
        return try Ledger(store: store)
    }

    /// Opens the ledger; fails closed if there is none, or if the directory's genesis file is not
    /// the one the ledger commits to.
    public func open() throws -> Ledger {
        let store = try SQLiteStore.open(path: database)
        if FileManager.default.fileExists(atPath: genesisFile) {
            let hash = try Genesis(bytes: try readBytes(genesisFile)).hash
            guard hash == store.genesis.hash else {
                throw CairnError(
                    .storage,
                    "couldn't open the ledger: \(path) belongs to another genesis (\(genesisFile) hashes to \(hash.hex), the ledger commits to \(store.genesis.hash.hex))"
                )
            }
        }
        return try Ledger(store: store)
    }

    /// This node's validator key.
    public func validatorKey() throws -> SigningKey {
        try SigningKey(parsing: try readText(keyFile))
    }
}

/// Writes a file readable only by its owner (0600), created that way from the start.
public func writeSecret(_ text: String, to path: String) throws {
    let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else {
        throw CairnError(.storage, "couldn't create \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
        throw CairnError(.storage, "couldn't write \(path): \(String(cString: strerror(errno)))")
    }
}

/// Replaces a file so that a crash leaves either the old or the new content: a temporary file
/// (0600), fsync, rename, fsync of the directory. Every step that fails throws.
public func writeDurably(_ text: String, to path: String) throws {
    let temporary = path + ".tmp"
    if FileManager.default.fileExists(atPath: temporary) { try FileManager.default.removeItem(atPath: temporary) }
    try writeSecret(text, to: temporary)
    guard rename(temporary, path) == 0 else {
        throw CairnError(.storage, "couldn't rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
    }
    let directory = (path as NSString).deletingLastPathComponent
    let fd = Foundation.open(directory.isEmpty ? "." : directory, O_RDONLY)
    guard fd >= 0 else { throw CairnError(.storage, "couldn't open \(directory): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw CairnError(.storage, "couldn't fsync \(directory): \(String(cString: strerror(errno)))") }
}

public func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CairnError(.notFound, "couldn't read \(path): no such file")
    }
    guard let text = String(validating: data, as: UTF8.self) else {
        throw CairnError(.malformedJSON, "couldn't read \(path): not UTF-8")
    }
    return text
}

public func readBytes(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CairnError(.notFound, "couldn't read \(path): no such file")
    }
    return Array(data)
}
