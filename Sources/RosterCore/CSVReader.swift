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

    /// Throws on an unterminated quote; returns nil at the end.
    public mutating func nextRecord() throws -> Record? {
        guard position < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStart = true
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if position < bytes.count && bytes[position] == UInt8(ascii: "\"") {
                        field.append(byte)
                        position += 1
                    } else {
                        quoted = false
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
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                fieldStart = true
            case 0x0D where position < bytes.count && bytes[position] == 0x0A:
                continue
            case 0x0A:
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return Record(line: startLine, fields: fields)
            default:
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
