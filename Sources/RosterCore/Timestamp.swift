import Foundation

/// An RFC 3339 UTC instant (`2026-11-23T10:00:00Z`). Informational only: the one
/// merge decision that reads it is the tie-break between concurrent amends.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z and the fraction in nanoseconds, kept apart
    /// so that every year RFC 3339 can write (0000 to 9999) fits without overflow and
    /// comparison never depends on how many fraction digits a writer chose.
    public let seconds: Int64
    public let nanoseconds: Int32
    public let text: String

    public init(_ text: String) throws {
        guard let (seconds, nanoseconds) = Self.parse(Array(text.utf8)) else {
            throw RosterError(.invalidField, "time \"\(text.prefix(64))\" is not an RFC 3339 UTC time like 2026-11-23T10:00:00Z")
        }
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.text = text
    }

    public init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        self.seconds = seconds
        self.nanoseconds = 0
        let day = CalendarDate(daysSinceEpoch: Int(seconds.floorDivided(by: 86_400)))
        let second = Int(seconds - seconds.floorDivided(by: 86_400) * 86_400)
        self.text = "\(day)T\(Self.pad(second / 3600)):\(Self.pad(second / 60 % 60)):\(Self.pad(second % 60))Z"
    }

    public var description: String { text }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.seconds == rhs.seconds && lhs.nanoseconds == rhs.nanoseconds
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(seconds)
        hasher.combine(nanoseconds)
    }

    static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with ASCII digits only: no signs, no leap
    /// second, one to nine fraction digits. Every number is at most four digits, so
    /// nothing here can overflow whatever the text.
    private static func parse(_ bytes: [UInt8]) -> (Int64, Int32)? {
        guard bytes.count >= 20, bytes.count <= 30, bytes[bytes.count - 1] == UInt8(ascii: "Z"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let day = CalendarDate(bytes[0..<10]),
            let hour = Digits.value(bytes[11..<13]), hour < 24,
            let minute = Digits.value(bytes[14..<16]), minute < 60,
            let second = Digits.value(bytes[17..<19]), second < 60
        else { return nil }
        var fraction: Int32 = 0
        let rest = bytes[19..<(bytes.count - 1)]
        if !rest.isEmpty {
            guard rest.first == UInt8(ascii: "."), rest.count >= 2, rest.count <= 10 else { return nil }
            var scale: Int32 = 100_000_000
            for byte in rest.dropFirst() {
                guard let digit = Digits.value(byte) else { return nil }
                fraction += Int32(digit) * scale
                scale /= 10
            }
        }
        let seconds = Int64(day.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return (seconds, fraction)
    }
}

/// ASCII decimal digits, and nothing else: Swift's `Int("+5")` takes a sign, which
/// would let two texts name one date.
enum Digits {
    static func value(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// At most four digits, so the value always fits.
    static func value(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 4 else { return nil }
        var result = 0
        for byte in bytes {
            guard let digit = value(byte) else { return nil }
            result = result * 10 + digit
        }
        return result
    }
}

/// An RFC 3339 `full-date` (`2026-11-23`): decision dates and expiry dates.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    public init(_ text: String) throws {
        guard let date = CalendarDate(Array(text.utf8)[...]) else {
            throw RosterError(.invalidField, "date \"\(text.prefix(64))\" is not a calendar date like 2026-11-23")
        }
        self = date
    }

    init?(_ bytes: ArraySlice<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Digits.value(bytes[0..<4]), let month = Digits.value(bytes[5..<7]), let day = Digits.value(bytes[8..<10]),
            (1...12).contains(month), day >= 1, day <= Self.days(inMonth: month, year: year)
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// Civil-from-days (H. Hinnant), so that no calendar or time zone is consulted.
    public init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public var description: String {
        let y = String(year)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + Timestamp.pad(month) + "-" + Timestamp.pad(day)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension CalendarDate {
    /// The UTC day of a moment: what "today" means for expiry.
    public init(_ time: Timestamp) {
        self.init(daysSinceEpoch: Int(time.seconds.floorDivided(by: 86_400)))
    }
}
