import CairnCore
import Foundation

/// `cairn-bench [--quick] [--json OUT]`: Cairn's figures side by side with the physical limits,
/// measured in one run so the noise of a shared machine cancels out. See BENCHMARKS.md.
@main
struct Bench {
    static func main() throws {
        var args = CommandLine.arguments.dropFirst()
        var quick = false
        var jsonPath: String?
        var sizes: [Int]?
        var block: Int?
        var ingestOnly = false
        var hostileOnly = false
        while let a = args.popFirst() {
            switch a {
            case "--quick": quick = true
            case "--json": jsonPath = args.popFirst()
            case "--sizes": sizes = args.popFirst()?.split(separator: ",").compactMap { Int($0) }
            case "--block": block = args.popFirst().flatMap { Int($0) }
            case "--ingest-only": ingestOnly = true
            case "--hostile-only": hostileOnly = true
            case "-h", "--help":
                print("usage: cairn-bench [--quick] [--sizes N,N,...] [--block N] [--ingest-only] [--hostile-only] [--json OUT]")
                return
            default:
                FileHandle.standardError.write(Data("cairn-bench: unknown argument \(a)\n".utf8))
                exit(2)
            }
        }
        var plan = quick ? Plan.quick : Plan.full
        if let sizes, !sizes.isEmpty { plan.sizes = sizes }
        plan.ingestOnly = ingestOnly
        if let block, block > 0 {
            plan.block = block
            plan.batch = min(plan.batch, block)
        }
        var report = Report(mode: quick ? "quick" : "full")
        let keep = ProcessInfo.processInfo.environment["CAIRN_BENCH_KEEP"]
        let work = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: work) } }

        if hostileOnly {
            try HostileBench(plan: plan, work: work).run(report: &report)
            print(report.table())
            return
        }
        let base = try Baselines.measure(plan: plan, work: work, report: &report)
        try LedgerBench(plan: plan, work: work).run(report: &report)
        if !plan.ingestOnly {
            try NodeBench(plan: plan, work: work, baselines: base).run(report: &report)
            try HostileBench(plan: plan, work: work).run(report: &report)
        }

        print(report.table())
        if let jsonPath {
            try Data(report.json().utf8).write(to: URL(fileURLWithPath: jsonPath))
            print("wrote \(jsonPath)")
        }
    }
}

/// How much to measure. `quick` keeps CI under two minutes on a debug build; `full` is the record.
struct Plan {
    var seconds: Double
    /// Log sizes at which proofs, audit and memory are measured; the ledger grows through them.
    var sizes: [Int]
    /// Notices per submission batch and per block.
    var batch: Int
    var block: Int
    var proofSamples: Int
    /// Only the baselines and ingest: for comparing two builds' ingest in turns (BENCHMARKS.md).
    var ingestOnly = false

    /// Blocks of one batch, so each block seals while the next batch is checked. A node cuts
    /// blocks of at most 1,000 by default (`--block-max`).
    static let quick = Plan(seconds: 0.3, sizes: [1_000, 3_000], batch: 500, block: 500, proofSamples: 200)
    static let full = Plan(seconds: 2, sizes: [10_000, 100_000, 1_000_000], batch: 2_000, block: 2_000, proofSamples: 2_000)
}
