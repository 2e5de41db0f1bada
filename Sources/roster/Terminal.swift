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
