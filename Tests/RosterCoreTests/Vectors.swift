import Foundation
import RosterCore

/// Reads a vector file bundled with the tests.
enum Vectors {
    static func load(_ name: String) throws -> JSON {
        let url = try require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors"))
        return try JSONParser.parse(Array(try Data(contentsOf: url)))
    }
}

func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw RosterError(.badInput, message) }
    return value
}
