import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import RosterCore
import RosterStore

/// Buffered output to a file or stdout, for exports of millions of lines. A file
/// goes through `AtomicFile`: a resolver that reloads at any moment sees the old
/// export or the new one, never none or half of one. Sendable, so that a read of the
/// store streams into it from the database's reader thread.
final class OutputStream: Sendable {
    private struct State {
        var buffer: [UInt8] = []
        let file: AtomicFile?
    }

    private let state: Mutex<State>

    init(path: String?) throws {
        var file: AtomicFile?
        if let path {
            var status = stat()
            if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
                throw RosterError(.invalidField, "\(path) is a directory: give a file name for the export")
            }
            file = try AtomicFile(path, mode: 0o644)
        }
        var initial = State(file: file)
        initial.buffer.reserveCapacity(1 << 20)
        state = Mutex(initial)
    }

    func write(_ text: String) throws {
        try state.withLock { state in try Self.append(text.utf8, to: &state) }
    }

    func write(bytes: [UInt8]) throws {
        try state.withLock { state in try Self.append(bytes, to: &state) }
    }

    /// Writes what is buffered; a file is then synced and renamed into place.
    func finish() throws {
        try state.withLock { state in
            try Self.flush(&state)
            try state.file?.commit()
        }
    }

    private static func append(_ bytes: some Sequence<UInt8>, to state: inout State) throws {
        state.buffer.append(contentsOf: bytes)
        if state.buffer.count >= 1 << 20 { try flush(&state) }
    }

    private static func flush(_ state: inout State) throws {
        if let file = state.file {
            try file.write(state.buffer)
        } else {
            var offset = 0
            while offset < state.buffer.count {
                let written = state.buffer[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RosterError(.storage, "cannot write the export: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        state.buffer.removeAll(keepingCapacity: true)
    }
}
