import Foundation
import RosterCore
import RosterTestSupport

/// Reads a vector file bundled with the tests.
enum Vectors {
    static func load(_ name: String) throws -> JSON {
        let url = try require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors"))
        return try JSONParser.parse(Array(try Data(contentsOf: url)))
    }
}

