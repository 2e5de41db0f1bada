import RosterCore
import Testing

@Suite("CSV reader: RFC 4180, and a line number for every refusal")
struct CSVReaderTests {
    func records(_ text: String) throws -> [[String]] {
        var reader = CSVReader(Array(text.utf8))
        var records: [[String]] = []
        while let record = try reader.nextRecord() { records.append(record.fields) }
        return records
    }

    @Test("Quoted fields hold commas, doubled quotes and line breaks; CRLF ends a line")
    func quoted() throws {
        #expect(try records("a,\"b, \"\"c\"\"\"\r\n\"multi\nline\",x\n") == [["a", "b, \"c\""], ["multi\nline", "x"]])
    }

    @Test("Malformed input is refused with the line it is on", arguments: [
        ("value\nok\n\"never closed\n", "line 3: a quoted field is never closed"),
        ("value\nsh\"op.example\n", "line 2: a quote inside an unquoted field"),
        ("value\n\"shop\"x,1\n", "line 2: a quoted field goes on after its closing quote"),
        ("value\nshop.example\rother.example\n", "line 2: a carriage return that does not end a line"),
    ])
    func refusals(text: String, reason: String) {
        #expect {
            try records(text)
        } throws: { error in
            (error as? RosterError)?.reason.hasPrefix(reason) == true
        }
    }

    @Test("A record longer than an operation may be is refused before it is read whole")
    func overlong() {
        let text = "value\n" + String(repeating: "a", count: CSVReader.maximumRecord + 10) + "\n"
        #expect {
            try records(text)
        } throws: { error in
            (error as? RosterError)?.reason == "line 2: a record is longer than \(CSVReader.maximumRecord) bytes"
        }
    }
}
