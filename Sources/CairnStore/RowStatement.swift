import GRDB
import GRDBSQLite

/// A statement run once per row through SQLite's C API, for the rows a block or a batch writes or
/// looks up in bulk. GRDB boxes each argument and each fetched row, which cost more per row than
/// SQLite's own work. The statement is prepared and cached by GRDB, and runs in GRDB's transaction.
struct RowStatement {
    private let statement: Statement
    private let connection: OpaquePointer?

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
    }

    private var handle: OpaquePointer { statement.sqliteStatement }

    /// Binds one row's parameters, in order from 1.
    struct Binder {
        fileprivate let handle: OpaquePointer
        fileprivate var index: Int32 = 1
        fileprivate var failure: Int32 = SQLITE_OK

        private mutating func check(_ rc: Int32) {
            if rc != SQLITE_OK, failure == SQLITE_OK { failure = rc }
            index += 1
        }

        mutating func int(_ v: Int64) { check(sqlite3_bind_int64(handle, index, v)) }

        mutating func text(_ v: String?) {
            guard let v else { return check(sqlite3_bind_null(handle, index)) }
            check(sqlite3_bind_text(handle, index, v, -1, transient))
        }

        mutating func blob(_ v: [UInt8]) {
            // An empty array may have no base address, which SQLite would bind as NULL.
            let rc = v.withUnsafeBytes { b in
                b.isEmpty
                    ? sqlite3_bind_zeroblob(handle, index, 0) : sqlite3_bind_blob(handle, index, b.baseAddress, Int32(b.count), transient)
            }
            check(rc)
        }
    }

    /// Reads the columns of the current result row.
    struct Columns {
        fileprivate let handle: OpaquePointer

        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
        func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
        func text(_ i: Int32) -> String? {
            guard let p = sqlite3_column_text(handle, i) else { return nil }
            return String(cString: p)
        }
        func blob(_ i: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(handle, i))
            guard count > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: count))
        }
    }

    /// Runs the statement for one row of parameters, calling `row` for each result row.
    func run(_ bind: (inout Binder) -> Void, row: (Columns) throws -> Void = { _ in }) throws {
        let h = handle
        defer {
            sqlite3_reset(h)
            sqlite3_clear_bindings(h)
        }
        var binder = Binder(handle: h)
        bind(&binder)
        guard binder.failure == SQLITE_OK else { throw error(binder.failure) }
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(rc) }
            try row(Columns(handle: h))
        }
    }

    private func error(_ rc: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: rc), message: connection.map { String(cString: sqlite3_errmsg($0)) },
            sql: statement.sql)
    }
}

/// SQLite copies the bytes before the bind call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
