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

    /// Creates the directory and a new ledger with block 0. Refuses a directory that already holds
    /// a ledger, or anything else: the directory is built under a temporary name and renamed into
    /// place (`buildDirectory`), so a failure leaves nothing at `path`, and `init` can run again.
    public func initialize(genesisBytes: [UInt8], key: SigningKey) throws -> Ledger {
        let genesis = try Genesis(bytes: genesisBytes)
        let block0 = try Ledger.makeGenesisBlock(genesis: genesis, key: key)
        guard !FileManager.default.fileExists(atPath: database) else {
            throw CairnError(.storage, "couldn't initialise \(path): it already holds a ledger")
        }
        try buildDirectory(at: path) { staging in
            let inside = LedgerDirectory(staging)
            try writeSecret(key.encoded, to: inside.keyFile)
            try writeDurably(genesisBytes, to: inside.genesisFile, mode: 0o644)
            // Released at once, so its connections are closed before the directory moves.
            _ = try SQLiteStore.create(path: inside.database, genesis: genesis, genesisBlock: block0)
        }
        return try open()
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
