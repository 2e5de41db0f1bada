import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RosterCore

/// Everything the CLI writes goes through here: data on stdout, messages and
/// progress on stderr, progress only when stderr is a terminal.
enum Terminal {
    static func print(_ text: String) {
        output(Array((text + "\n").utf8))
    }

    /// Text as it is, without a newline added.
    static func output(_ text: String) {
        output(Array(text.utf8))
    }

    static func printJSON(_ json: JSON) {
        output(CanonicalJSON.encode(json) + [0x0A])
    }

    static func printJSON(bytes: [UInt8]) {
        output(bytes + [0x0A])
    }

    static func error(_ text: String) {
        _ = write(Array("roster: \(text)\n".utf8), to: STDERR_FILENO)
    }

    static func note(_ text: String) {
        _ = write(Array("\(text)\n".utf8), to: STDERR_FILENO)
    }

    /// Data on stdout. A full disk or a closed file behind stdout ends the command
    /// with one line and exit 3, never a trap (Foundation's `FileHandle.write`
    /// traps on a write error).
    private static func output(_ bytes: [UInt8]) {
        if let failure = write(bytes, to: STDOUT_FILENO) {
            error("cannot write the output: \(failure); free space or check where stdout goes")
            exit(3)
        }
    }

    /// Writes all of `bytes`; the reason on failure.
    static func write(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += written
        }
        return nil
    }

    static let isInteractive = isatty(STDERR_FILENO) == 1

    /// A count that redraws itself, for work whose total is not known ahead; silent
    /// when stderr is not a terminal. `finish` ends the line.
    static func counter(_ label: String) -> (count: @Sendable (String) -> Void, finish: @Sendable () -> Void) {
        guard isInteractive else { return ({ _ in }, {}) }
        return ({ _ = write(Array("\r\(label) \($0)\u{1B}[K".utf8), to: STDERR_FILENO) }, { _ = write(Array("\r\u{1B}[K".utf8), to: STDERR_FILENO) })
    }

    /// A progress line that redraws itself; silent when stderr is not a terminal.
    static func progress(_ label: String) -> @Sendable (Int, Int) -> Void {
        guard isInteractive else { return { _, _ in } }
        return { done, total in
            let percent = total > 0 ? done * 100 / total : 100
            _ = write(Array("\r\(label) \(done)/\(total) (\(percent)%)\u{1B}[K".utf8), to: STDERR_FILENO)
            if done >= total { _ = write([0x0A], to: STDERR_FILENO) }
        }
    }
}
