import Foundation
import Synchronization
import RosterCore

/// A node's log in one file, for an auditor with no network: a header line naming
/// the format and holding the signed checkpoint, then every leaf up to the
/// checkpoint's size, one operation's canonical bytes a line, in log order.
/// *Why no audit paths:* the bundle carries every leaf, so the auditor recomputes
/// the root itself, which proves each leaf's inclusion and the whole log's at once.
public enum LogBundle {
    public static let format = "roster-log-bundle"
    public static let formatVersion: Int64 = 1

    public static func header(_ checkpoint: SignedNote) -> String {
        String(decoding: CanonicalJSON.encode(["format": .string(format), "v": .integer(formatVersion),
                                               "checkpoint": .string(checkpoint.serialized)]), as: UTF8.self) + "\n"
    }

    /// Reads a bundle file as an auditor's log source, a line at a time.
    public final class Reader: LogSource {
        public let name: String
        private let lines: Mutex<LineReader>
        private let note: SignedNote

        public init(path: String) throws {
            name = path
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                throw RosterError(.badInput, "\(path) is not a regular file: name the bundle file roster export --format bundle wrote")
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw RosterError(.badInput, "cannot read \(path): check the path and its permissions")
            }
            var reader = LineReader(handle: handle, limit: SignedNote.maximumSize * 2)
            guard let first = try Self.naming(path, { try reader.next() }), let json = try? JSONParser.parse(first), json["format"]?.string == LogBundle.format,
                json["v"]?.integer == LogBundle.formatVersion, let text = json["checkpoint"]?.string, let note = try? SignedNote(parsing: text)
            else {
                throw RosterError(.badInput, "\(path) is not a log bundle: its first line must name \(LogBundle.format) v\(LogBundle.formatVersion) and hold a signed checkpoint")
            }
            self.note = note
            reader.limit = SignedOperation.maximumSize
            lines = Mutex(reader)
        }

        public func checkpoint() async throws -> SignedNote { note }

        public func end() async throws {
            let extra = try lines.withLock { reader in try Self.naming(name, { try reader.next() }) }
            if extra != nil { throw RosterError(.badInput, "\(name) holds lines past the leaves its checkpoint covers: it is not the bundle the node wrote") }
        }

        /// `read`, its error naming the file.
        private static func naming<T>(_ path: String, _ read: () throws -> T) throws -> T {
            do {
                return try read()
            } catch let error as RosterError {
                throw RosterError(error.code, "\(path): \(error.reason)")
            }
        }

        public func leaves(from start: Int64, count: Int) async throws -> [[UInt8]] {
            try lines.withLock { reader in
                try (0..<count).map { offset in
                    guard let line = try Self.naming(name, { try reader.next() }) else {
                        throw RosterError(.badInput, "\(name) ends at leaf \(start + Int64(offset)), before the size its checkpoint states")
                    }
                    return line
                }
            }
        }
    }
}

/// Lines of a file, read in large blocks, each at most `limit` bytes: a line longer
/// is an error, not a buffer that grows without end.
struct LineReader: Sendable {
    /// Read by one owner at a time: the reader's lock.
    private let handle: UncheckedBox<FileHandle>
    private var buffer: [UInt8] = []
    private var offset = 0
    private var line = 0
    var limit: Int

    init(handle: FileHandle, limit: Int) {
        self.handle = UncheckedBox(handle)
        self.limit = limit
    }

    /// The next line without its newline; nil at the end of the file.
    mutating func next() throws -> [UInt8]? {
        line += 1
        while true {
            if let newline = buffer[offset...].firstIndex(of: 0x0A) {
                defer { offset = newline + 1 }
                guard newline - offset <= limit else { throw tooLong() }
                return Array(buffer[offset..<newline])
            }
            guard buffer.count - offset <= limit else { throw tooLong() }
            let block: Data
            do {
                block = try handle.value.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw RosterError(.badInput, "cannot read line \(line): \(error.localizedDescription)")
            }
            buffer.removeSubrange(0..<offset)
            offset = 0
            if block.isEmpty {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return buffer
            }
            buffer += block
        }
    }

    private func tooLong() -> RosterError {
        RosterError(.badInput, "line \(line) is longer than the \(limit) bytes it may have")
    }
}
