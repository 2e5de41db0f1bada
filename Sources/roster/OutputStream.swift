import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RosterCore
import RosterStore

/// Buffered output to a file or stdout, for exports of millions of lines. A file
/// goes through `AtomicFile`: a resolver that reloads at any moment sees the old
/// export or the new one, never none or half of one.
final class OutputStream {
    private var buffer: [UInt8] = []
    private let file: AtomicFile?

    init(path: String?) throws {
        buffer.reserveCapacity(1 << 20)
        guard let path else {
            file = nil
            return
        }
        var status = stat()
        if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw RosterError(.invalidField, "\(path) is a directory: give a file name for the export")
        }
        file = try AtomicFile(path, mode: 0o644)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        if let file {
            try file.write(buffer)
        } else {
            var offset = 0
            while offset < buffer.count {
                let written = buffer[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RosterError(.storage, "cannot write the export: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered; a file is then synced and renamed into place.
    func finish() throws {
        try flush()
        try file?.commit()
    }
}
