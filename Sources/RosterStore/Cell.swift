import Foundation
import GRDB
import RosterCore

/// A column of a row: by name, as the SELECT names it or an alias `AS` gives it
/// one (the store reads no cell by its place; tests that edit a database may).
protocol CellColumn {
    func value(in row: Row) -> DatabaseValue
}

extension String: CellColumn {
    func value(in row: Row) -> DatabaseValue {
        // A misspelt name would read as NULL: debug builds, which run the tests, stop on it.
        assert(row.hasColumn(self), "no column \(self) in the row")
        return row[self] ?? .null
    }
}

extension Int: CellColumn {
    func value(in row: Row) -> DatabaseValue { row[self] }
}

/// Cells read without trusting their type. GRDB's `row[i] as String` traps on a NULL
/// or an integer, and SQLite lets a column hold any type; the database file is
/// other people's bytes when someone edits it behind the node's back, so every read
/// that the audit or the node depends on goes through these and throws instead.
extension Row {
    func text(_ column: some CellColumn) -> String? {
        if case .string(let value) = column.value(in: self).storage { return value }
        return nil
    }

    func integer(_ column: some CellColumn) -> Int64? {
        if case .int64(let value) = column.value(in: self).storage { return value }
        return nil
    }

    func blob(_ column: some CellColumn) -> [UInt8]? {
        if case .blob(let value) = column.value(in: self).storage { return Array(value) }
        return nil
    }

    func isNull(_ column: some CellColumn) -> Bool { column.value(in: self).isNull }

    /// The cell as SQLite holds it, for a finding to show.
    func cell(_ column: some CellColumn) -> DatabaseValue { column.value(in: self) }

    /// A positive sequence number, as every `seq` column holds.
    func seq(_ index: some CellColumn) -> UInt64? {
        integer(index).flatMap { $0 > 0 ? UInt64($0) : nil }
    }

    /// A count of 0 or more, or nil for NULL: a retired replica's last valid seq.
    func optionalSeq(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> UInt64? {
        if isNull(index) { return nil }
        guard let value = integer(index), value >= 0 else { throw Cell.unreadable(what()) }
        return UInt64(value)
    }

    func requireInteger(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> Int64 {
        guard let value = integer(index) else { throw Cell.unreadable(what()) }
        return value
    }

    func optionalInteger(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> Int64? {
        if isNull(index) { return nil }
        return try requireInteger(index, what())
    }

    func requireBlob(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> Data {
        guard let value = blob(index) else { throw Cell.unreadable(what()) }
        return Data(value)
    }

    func optionalBlob(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> Data? {
        if isNull(index) { return nil }
        return try requireBlob(index, what())
    }

    /// A 0 or a 1, as every flag column holds.
    func requireFlag(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> Bool {
        switch integer(index) {
        case 0: return false
        case 1: return true
        default: throw Cell.unreadable(what())
        }
    }

    func requireText(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> String {
        guard let value = text(index) else { throw Cell.unreadable(what()) }
        return value
    }

    func optionalText(_ index: some CellColumn, _ what: @autoclosure () -> String) throws -> String? {
        if isNull(index) { return nil }
        return try requireText(index, what())
    }
}

enum Cell {
    static func unreadable(_ what: String) -> RosterError {
        RosterError(.storage, "\(what) in the database is not what the node wrote: run roster audit")
    }

    /// Records decoded by `body`: a cell edited to another type does not decode, and
    /// is reported as `what` unreadable; SQLite's own errors stay the store's.
    static func decoding<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw error
        } catch {
            throw unreadable(what)
        }
    }
}

/// A record whose `Data` columns decode only from blobs. SQLite lets a cell hold
/// text where the node wrote bytes, and GRDB's default would take the text's bytes
/// as the value: an edited key or hash would then read as another key or hash.
protocol BlobColumns: FetchableRecord {}

extension BlobColumns {
    static func databaseDataDecodingStrategy(for column: String) -> DatabaseDataDecodingStrategy {
        .custom { value in
            if case .blob(let data) = value.storage { return data }
            return nil
        }
    }
}
