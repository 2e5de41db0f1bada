import Foundation
import Logging
import RosterCore

/// One JSON object a line on standard error, for log collectors (journald, Loki, an
/// ELK stack) that index fields rather than parse sentences: `ROSTER_LOG_FORMAT=json`.
/// Each line has `time` (RFC 3339), `level`, `logger` and `message`, and the
/// logger's metadata as further members.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var members: [String: JSON] = [:]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) {
            members[key] = .string("\(value)")
        }
        members["time"] = .string(Self.time(Date()))
        members["level"] = .string(level.rawValue)
        members["logger"] = .string(label)
        members["message"] = .string(message.description)
        var line = CanonicalJSON.encode(.object(members))
        line.append(0x0A)
        // One write a line, so that lines from concurrent tasks never interleave.
        _ = Terminal.write(line, to: STDERR_FILENO)
    }

    /// RFC 3339 in UTC, to the millisecond: lines within one second keep their order.
    static func time(_ date: Date) -> String {
        let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        return "\(Timestamp(date).text.dropLast()).\(String(1000 + milliseconds).dropFirst())Z"
    }
}
