import Foundation
import RosterCore

/// Everything the CLI writes goes through here: data on stdout, messages and
/// progress on stderr, progress only when stderr is a terminal.
enum Terminal {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func printJSON(_ json: JSON) {
        FileHandle.standardOutput.write(Data(CanonicalJSON.encode(json) + [0x0A]))
    }

    static func printJSON(bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes + [0x0A]))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data("roster: \(text)\n".utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    static let isInteractive = isatty(STDERR_FILENO) == 1

    /// A progress line that redraws itself; silent when stderr is not a terminal.
    static func progress(_ label: String) -> (Int, Int) -> Void {
        guard isInteractive else { return { _, _ in } }
        return { done, total in
            let percent = total > 0 ? done * 100 / total : 100
            FileHandle.standardError.write(Data("\r\(label) \(done)/\(total) (\(percent)%)\u{1B}[K".utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}

/// Buffered output to a file or stdout, for exports of millions of lines.
final class OutputStream {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let temporary: URL?
    private let destination: URL?

    /// Writes to a temporary file beside `path` and renames it on `finish`, so a
    /// consumer never loads a half-written export.
    init(path: String?) throws {
        if let path {
            let destination = URL(fileURLWithPath: path)
            let temporary = destination.deletingLastPathComponent()
                .appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).tmp")
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                let handle = FileHandle(forWritingAtPath: temporary.path)
            else { throw RosterError(.storage, "cannot write \(path): check the folder exists and is writable") }
            self.handle = handle
            self.temporary = temporary
            self.destination = destination
        } else {
            handle = FileHandle.standardOutput
            temporary = nil
            destination = nil
        }
        buffer.reserveCapacity(1 << 20)
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
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw RosterError(.storage, "cannot write the export: \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        try flush()
        if let temporary, let destination {
            try handle.synchronize()
            try handle.close()
            _ = try? FileManager.default.removeItem(at: destination)
            try FileManager.default.moveItem(at: temporary, to: destination)
        }
    }
}
