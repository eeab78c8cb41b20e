import Foundation

/// `Tests/Vectors`, copied from ../shared/vectors with its attribution (Tests/Vectors/README.md).
func vectorsDirectory(_ file: String = #filePath) -> URL {
    var url = URL(fileURLWithPath: file)
    while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Vectors", isDirectory: true)
}
