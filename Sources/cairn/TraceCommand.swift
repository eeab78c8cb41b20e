import ArgumentParser
import CairnCore
import CairnLedger
import CairnStore
import Foundation

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a notice's provenance: what funded it, and where the money went.",
        discussion: """
            Edges: a notice's refs (and the notices that ref it); a contract instance's open and its actions; \\
            and funding. Money is fungible within an account, so funding is attributed: a debit of account A \\
            is funded by the latest earlier credits of A that together cover its amount, and a credit of A \\
            went on to the earliest later debits of A that together cover it.
            """)

    enum Direction: String, ExpressibleByArgument { case back, forward, both }
    enum Format: String, ExpressibleByArgument { case text, json, dot }

    @OptionGroup var data: DataOption
    @Argument(help: "The notice id.") var id: String
    @Option(help: "back, forward or both.") var direction: Direction = .both
    @Option(help: "How many steps to follow.") var depth = 4
    @Option(help: "text, json or dot (Graphviz).") var format: Format = .text
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let ledger = try data.open()
            var graph = try ProvenanceGraph(ledger: ledger)
            graph.progress = Progress.terminal("tracing: leaf")
            guard let root = try graph.node(id) else { throw CairnError(.notFound, "notice \(id) is not committed") }
            var nodes = [root]
            var edges: [(from: String, to: String, why: String)] = []
            for dir in direction == .both ? [Direction.back, .forward] : [direction] {
                var frontier = [root]
                for _ in 0..<max(0, depth) {
                    var next: [ProvenanceGraph.Node] = []
                    for n in frontier {
                        for (m, why) in try dir == .back ? graph.sources(of: n) : graph.destinations(of: n) {
                            edges.append(dir == .back ? (m.id, n.id, why) : (n.id, m.id, why))
                            if !nodes.contains(where: { $0.id == m.id }) {
                                nodes.append(m)
                                next.append(m)
                            }
                        }
                    }
                    frontier = next
                }
            }
            // Scans may stop early: clear the progress line before printing.
            if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            var seen = Set<String>()
            edges = edges.filter { seen.insert("\($0.from)>\($0.to)").inserted }
            switch output.json ? .json : format {
            case .json:
                printJSON([
                    "root": .string(root.id), "nodes": .array(nodes.map(\.json)),
                    "edges": .array(
                        edges.map { .object(JSONObject([("from", .string($0.from)), ("to", .string($0.to)), ("why", .string($0.why))])) }),
                ])
            case .dot:
                print("digraph provenance {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];")
                for n in nodes {
                    let label = n.label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                        .replacingOccurrences(of: ProvenanceGraph.lineBreak, with: "\\n")
                    print("  \"\(n.id)\" [label=\"\(label)\"\(n.id == root.id ? ", style=bold" : "")];")
                }
                for e in edges { print("  \"\(e.from)\" -> \"\(e.to)\" [label=\"\(e.why)\"];") }
                print("}")
            case .text:
                print(root.label.replacingOccurrences(of: ProvenanceGraph.lineBreak, with: "  "))
                for dir in direction == .both ? [Direction.back, .forward] : [direction] {
                    print(dir == .back ? "funded by:" : "money went to:")
                    printTree(root.id, dir: dir, edges: edges, nodes: nodes, indent: "  ", visited: [root.id])
                }
            }
        }
    }

    func printTree(
        _ id: String, dir: Direction, edges: [(from: String, to: String, why: String)], nodes: [ProvenanceGraph.Node], indent: String,
        visited: Set<String>
    ) {
        let children =
            dir == .back ? edges.filter { $0.to == id }.map { ($0.from, $0.why) } : edges.filter { $0.from == id }.map { ($0.to, $0.why) }
        for (child, why) in children where !visited.contains(child) {
            guard let n = nodes.first(where: { $0.id == child }) else { continue }
            print("\(indent)[\(why)] \(n.label.replacingOccurrences(of: ProvenanceGraph.lineBreak, with: "  "))")
            printTree(child, dir: dir, edges: edges, nodes: nodes, indent: indent + "  ", visited: visited.union([child]))
        }
    }
}

/// The committed notices seen as a provenance graph, read from the store in batches so memory
/// stays bounded whatever the ledger's size.
struct ProvenanceGraph {
    struct Node {
        var id: String
        var index: UInt64
        var height: UInt64
        var time: String
        var notice: Notice
        var digits: Int

        var amount: Int64 { notice.money.flatMap { Amount.parse($0.amount, minorDigits: digits) } ?? 0 }

        var label: String {
            let n = notice
            var what = "\(n.kind.rawValue) \(id.prefix(12))…"
            if let m = n.money { what += " \(m.amount) \(m.currency) \(m.from ?? "issued") → \(m.to)" }
            if let c = n.contract {
                what += c.action.map { " \($0) on \(c.instance!.prefix(12))…" } ?? c.contract.map { " of \($0.prefix(12))…" } ?? ""
            }
            return what + ProvenanceGraph.lineBreak + "height \(height), \(time)"
        }

        var json: JSONValue {
            .object(
                JSONObject([
                    ("id", .string(id)), ("kind", .string(notice.kind.rawValue)), ("height", .number(Double(height))),
                    ("leafIndex", .number(Double(index))), ("time", .string(time)), ("from", .optional(notice.money?.from)),
                    ("to", .optional(notice.money?.to)), ("amount", .optional(notice.money?.amount)),
                    ("currency", .optional(notice.money?.currency)),
                    ("reference", .optional(notice.reference)),
                ]))
        }
    }

    let ledger: Ledger
    let size: UInt64
    static let batch: UInt64 = 1024
    /// Called with (leaves scanned so far, log size) as the log is read.
    var progress: (UInt64, UInt64) -> Void = { _, _ in }
    /// Separates a label's lines; each output format renders it its own way.
    static let lineBreak = "\u{1}"

    init(ledger: Ledger) throws {
        self.ledger = ledger
        size = ledger.head.header.logSize
    }

    func node(_ id: String) throws -> Node? {
        guard let r = try ledger.store.notice(id), r.status == .committed, let i = r.leafIndex else { return nil }
        return try load(i, leaf: try ledger.store.leaves(from: i, count: 1)[0], height: r.height ?? 0)
    }

    private func load(_ index: UInt64, leaf: [UInt8], height: UInt64? = nil) throws -> Node {
        let e = try Envelope(leaf: leaf)
        let h = try height ?? (ledger.store.notice(e.notice.id)?.height ?? 0)
        let time = try ledger.store.block(at: h)?.header.time.description ?? ""
        return Node(
            id: e.notice.id, index: index, height: h, time: time, notice: e.notice,
            digits: e.notice.money.flatMap { ledger.genesis.minorDigits($0.currency) } ?? 0)
    }

    /// Visits leaves from `start` in one direction, a batch at a time, until `body` returns false.
    private func scan(from start: UInt64, backward: Bool, _ body: (UInt64, [UInt8]) throws -> Bool) throws {
        var cursor = start
        while backward ? cursor > 0 : cursor < size {
            let lo = backward ? (cursor >= Self.batch ? cursor - Self.batch : 0) : cursor
            let hi = backward ? cursor : min(size, cursor + Self.batch)
            let leaves = try ledger.store.leaves(from: lo, count: hi - lo)
            let order = backward ? Array(leaves.indices.reversed()) : Array(leaves.indices)
            for k in order where try !body(lo + UInt64(k), leaves[k]) { return }
            cursor = backward ? lo : hi
            progress(backward ? size - cursor : cursor, size)
        }
    }

    /// The accounts a notice debits, with amounts.
    private func debits(_ n: Notice, digits: Int) -> [(String, Int64)] {
        if let m = n.money, let from = m.from { return [(from, Amount.parse(m.amount, minorDigits: digits) ?? 0)] }
        return (n.contract?.deposits ?? []).map {
            ($0.from, Amount.parse($0.amount, minorDigits: ledger.genesis.minorDigits($0.currency) ?? 0) ?? 0)
        }
    }

    /// What funded a notice: its refs, the open of its contract instance, and the latest earlier
    /// credits of each account it debits that cover the amount.
    func sources(of n: Node) throws -> [(Node, String)] {
        var out: [(Node, String)] = []
        for ref in n.notice.refs { if let m = try node(ref) { out.append((m, "ref")) } }
        if let instance = n.notice.contract?.instance, let m = try node(instance) { out.append((m, "instance")) }
        for (account, amount) in debits(n.notice, digits: n.digits) {
            var covered: Int64 = 0
            try scan(from: n.index, backward: true) { i, leaf in
                let m = try load(i, leaf: leaf)
                if m.notice.money?.to == account {
                    out.append((m, "funds"))
                    covered += m.amount
                }
                return covered < amount
            }
        }
        return out
    }

    /// Where a notice's money went: notices that ref it, the actions on its instance, and the
    /// earliest later debits of the account it credited that cover the amount.
    func destinations(of n: Node) throws -> [(Node, String)] {
        var out: [(Node, String)] = []
        let credited = n.notice.money?.to
        var covered: Int64 = 0
        try scan(from: n.index + 1, backward: false) { i, leaf in
            let e = try Envelope(leaf: leaf)
            let refs = e.notice.refs.contains(n.id)
            let acts = e.notice.kind == .contractAct && e.notice.contract?.instance == n.id
            let spends = credited.map { a in covered < n.amount && debits(e.notice, digits: 0).contains { $0.0 == a } } ?? false
            if refs || acts || spends {
                let m = try load(i, leaf: leaf)
                out.append((m, refs ? "ref" : acts ? "instance" : "funds"))
                if spends { covered += debits(m.notice, digits: m.digits).first { $0.0 == credited }?.1 ?? 0 }
            }
            return true
        }
        return out
    }
}
