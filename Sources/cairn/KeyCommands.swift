import ArgumentParser
import CairnCore
import CairnStore
import Foundation

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an Ed25519 key: writes the private key file (0600) and prints the vkey.")

    @Option(help: "The member name, like bank-a.example.") var name: String
    @Option(help: "Where to write the private key file.") var out: String
    @Flag(help: "Make a witness cosigning key (vkey type 0x04).") var witness = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let key = try SigningKey(name: name, type: witness ? .cosignature : .ed25519, seed: randomBytes(32))
            try writeSecret(key.encoded, to: out)
            if output.json {
                printJSON(["name": .string(name), "vkey": .string(key.verifierKey.description), "keyFile": .string(out)])
            } else {
                print(key.verifierKey)
            }
        }
    }
}

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a notice body or envelope; prints the envelope with one more signature.")

    @Option(help: "The private key file.") var key: String
    @Argument(help: "The body or envelope JSON file, or - for standard input.") var file: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let signingKey = try SigningKey(parsing: try readText(key))
            guard signingKey.verifierKey.type == .ed25519 else {
                throw CairnError(.invalidKey, "\(key) is a witness cosigning key; notices are signed with Ed25519 (0x01) keys")
            }
            var envelope = try Envelope(parsing: try readBytes(file))
            envelope.sign(with: signingKey)
            print(String(decoding: JSON.canonical(envelope.json), as: UTF8.self))
        }
    }
}
