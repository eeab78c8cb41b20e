import CairnCore
import Foundation

/// A file written under a temporary name beside its destination and renamed into place by
/// `commit`. Until `commit` returns, nothing new is at `path`: a failure (or a crash) leaves the
/// old file or none, never part of the new one. `commit` makes the file durable first (fsync,
/// rename, fsync of the directory); a file neither committed nor discarded is removed when it is
/// released.
public final class StagedFile {
    /// Where the file goes.
    public let path: String
    /// Where it is written meanwhile: `<dir>/.<name>.<random>.tmp`, created exclusively.
    public let temporary: String
    private var fd: Int32

    /// Creates the temporary file with `mode` (less the umask).
    public init(_ path: String, mode: mode_t = 0o644) throws {
        self.path = path
        let (directory, name) = StagedFile.split(path)
        temporary = directory + "/." + name + "." + StagedFile.randomSuffix() + ".tmp"
        fd = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StagedFile.failure("couldn't create \(temporary)") }
    }

    deinit { discard() }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes all of `bytes`, through short writes and interruptions.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw CairnError(.storage, "couldn't write \(temporary): it is closed") }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StagedFile.failure("couldn't write \(temporary)")
            }
            offset += n
        }
    }

    /// Makes the file durable and puts it at `path`. With `replacing` false an existing file at
    /// `path` is an error and stays as it was (a hard link, which refuses an existing name, then
    /// the temporary name is removed).
    public func commit(replacing: Bool = true) throws {
        defer { discard() }
        guard fd >= 0 else { throw CairnError(.storage, "couldn't write \(path): \(temporary) is closed") }
        guard fsync(fd) == 0 else { throw StagedFile.failure("couldn't fsync \(temporary)") }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else { throw StagedFile.failure("couldn't close \(temporary)") }
        if replacing {
            guard rename(temporary, path) == 0 else { throw StagedFile.failure("couldn't rename \(temporary) to \(path)") }
        } else {
            guard link(temporary, path) == 0 else { throw StagedFile.failure("couldn't create \(path)") }
            unlink(temporary)
        }
        try StagedFile.syncDirectory(of: path)
    }

    /// Closes and removes the temporary file, if it is still there. Idempotent.
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(temporary)
    }

    /// fsync of the directory holding `path`, so that a rename or a new name in it is durable.
    public static func syncDirectory(of path: String) throws {
        try sync(split(path).directory, directory: true)
    }

    static func sync(_ path: String, directory: Bool) throws {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard fd >= 0 else { throw failure("couldn't open \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("couldn't fsync \(path)") }
    }

    /// The directory (`.` when there is none) and the last component of `path`.
    static func split(_ path: String) -> (directory: String, name: String) {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", trimmed) }
        let directory = String(trimmed[..<slash])
        return (directory.isEmpty ? "/" : directory, String(trimmed[trimmed.index(after: slash)...]))
    }

    static func randomSuffix() -> String {
        var rng = SystemRandomNumberGenerator()
        return Hex.encode((0..<6).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    static func failure(_ what: String) -> CairnError {
        CairnError(.storage, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// Builds a directory under a temporary name beside `path` (`<dir>/.<name>.<random>.tmp`) and
/// renames it into place once `body` has filled it and every file and directory in it is
/// durable (fsync). Until then nothing is at `path`; if `body` throws, the temporary directory
/// is removed. `path` may be missing or an empty directory (which is replaced); anything else
/// there is an error, and stays as it was. Missing parent directories are created first.
public func buildDirectory(at path: String, mode: mode_t = 0o755, _ body: (_ staging: String) throws -> Void) throws {
    try checkVacant(path)
    let (directory, name) = StagedFile.split(path)
    // Missing parents are made, as `mkdir -p` would; they are not the result, so they stay.
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let staging = directory + "/." + name + "." + StagedFile.randomSuffix() + ".tmp"
    guard mkdir(staging, mode) == 0 else { throw StagedFile.failure("couldn't create \(staging)") }
    do {
        try body(staging)
        try syncTree(staging)
        guard rename(staging, path) == 0 else {
            let code = errno
            guard code != ENOTEMPTY, code != EEXIST else {
                throw CairnError(.storage, "couldn't write \(path): it exists and is not empty")
            }
            throw CairnError(.storage, "couldn't rename \(staging) to \(path): \(String(cString: strerror(code)))")
        }
        try StagedFile.syncDirectory(of: path)
    } catch {
        try? FileManager.default.removeItem(atPath: staging)
        throw error
    }
}

/// Refuses a `path` that holds a file or a directory with anything in it.
public func checkVacant(_ path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
    guard isDirectory.boolValue else { throw CairnError(.storage, "couldn't write \(path): a file is there") }
    guard (try FileManager.default.contentsOfDirectory(atPath: path)).isEmpty else {
        throw CairnError(.storage, "couldn't write \(path): it exists and is not empty")
    }
}

/// fsync of every file and directory under `root`, directories after what they hold.
func syncTree(_ root: String) throws {
    for entry in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
        let path = root + "/" + entry
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue { try syncTree(path) } else { try StagedFile.sync(path, directory: false) }
    }
    try StagedFile.sync(root, directory: true)
}

/// Writes a file readable only by its owner (0600) that must not exist yet: under a temporary
/// name, made durable, then linked into place, so a failure leaves no file and an existing one
/// is never replaced.
public func writeSecret(_ text: String, to path: String) throws {
    if FileManager.default.fileExists(atPath: path) {
        throw CairnError(.storage, "couldn't create \(path): \(String(cString: strerror(EEXIST)))")
    }
    let file = try StagedFile(path, mode: 0o600)
    try file.write(text)
    try file.commit(replacing: false)
}

/// Replaces a file (0600) so that a crash leaves either the old or the new content: a
/// temporary file, fsync, rename, fsync of the directory. Every step that fails throws.
public func writeDurably(_ text: String, to path: String) throws {
    try writeDurably(Array(text.utf8), to: path, mode: 0o600)
}

/// `writeDurably` with the file's mode.
public func writeDurably(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
    let file = try StagedFile(path, mode: mode)
    try file.write(bytes)
    try file.commit()
}
