/// RFC 4180 records from bytes already in memory: quoted fields may hold commas,
/// quotes and line breaks. Reports the line each record starts on for error messages.
public struct CSVReader: Sequence, IteratorProtocol {
    public struct Record: Sendable {
        public let line: Int
        public let fields: [String]
    }

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// Longest record read: no field of an entry can be longer than the operation
    /// that carries it, so a larger record is refused before it fills memory.
    public static let maximumRecord = SignedOperation.maximumSize

    /// Throws, with the line, on an unclosed quote, a quote inside an unquoted field
    /// or after a closing quote, a bare CR, or an overlong record; nil at the end.
    public mutating func nextRecord() throws -> Record? {
        guard position < bytes.count else { return nil }
        let startLine = line
        let start = position
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var closed = false
        var fieldStart = true
        func refuse(_ reason: String) -> RosterError { RosterError(.badInput, "line \(line): \(reason)") }
        while position < bytes.count {
            guard position - start <= Self.maximumRecord else {
                throw RosterError(.badInput, "line \(startLine): a record is longer than \(Self.maximumRecord) bytes")
            }
            let byte = bytes[position]
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if position < bytes.count && bytes[position] == UInt8(ascii: "\"") {
                        field.append(byte)
                        position += 1
                    } else {
                        quoted = false
                        closed = true
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where fieldStart:
                quoted = true
                fieldStart = false
            case UInt8(ascii: "\""):
                throw refuse(closed ? "a quoted field goes on after its closing quote" : "a quote inside an unquoted field: quote the whole field and double the quote")
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                fieldStart = true
                closed = false
            case 0x0D where position < bytes.count && bytes[position] == 0x0A:
                continue
            case 0x0D:
                throw refuse("a carriage return that does not end a line (CR without LF)")
            case 0x0A:
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return Record(line: startLine, fields: fields)
            default:
                if closed { throw refuse("a quoted field goes on after its closing quote") }
                field.append(byte)
                fieldStart = false
            }
        }
        if quoted { throw RosterError(.badInput, "line \(startLine): a quoted field is never closed") }
        fields.append(String(decoding: field, as: UTF8.self))
        return Record(line: startLine, fields: fields)
    }

    public mutating func next() -> Record? { try? nextRecord() }
}
