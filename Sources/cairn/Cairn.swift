import ArgumentParser

@main
struct Cairn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "A permissioned, hash-chained audit ledger for co-signed settlement notices.",
        subcommands: [
            Keygen.self, Init.self, NoticeCommand.self, Sign.self, Submit.self, Seal.self, Show.self, Balance.self,
            Status.self, CheckpointCommand.self, Prove.self, Verify.self, VerifyProof.self, ProveBalance.self, VerifyBalance.self,
            Export.self, VerifyExport.self, Import.self, Trace.self, ContractCommand.self, Serve.self, Cosign.self,
            WitnessCommand.self, CertCommand.self, Demo.self,
        ])
}
