import ArgumentParser

@main
struct Cairn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "A permissioned, hash-chained audit ledger for co-signed settlement notices.",
        subcommands: [
            Keygen.self, Init.self, NoticeCommand.self, Sign.self, Submit.self, Seal.self, Show.self, Balance.self,
            Status.self, CheckpointCommand.self, Prove.self, Verify.self, VerifyProof.self, ProveBalance.self, VerifyBalance.self,
            Export.self, VerifyExport.self, Import.self, Trace.self, ContractCommand.self, Demo.self,
        ])
}
