import CairnCore
import Foundation

/// One measured figure, with the baseline it is read against.
struct Figure {
    var name: String
    var value: Double
    var unit: String
    var baseline: String?
    var ratio: Double?
}

struct Report {
    var mode: String
    var figures: [Figure] = []

    mutating func add(_ name: String, _ value: Double, _ unit: String, baseline: String? = nil, ratio: Double? = nil) {
        figures.append(Figure(name: name, value: value, unit: unit, baseline: baseline, ratio: ratio))
        FileHandle.standardError.write(
            Data("  \(name): \(format(value)) \(unit)\(ratio.map { String(format: " (ratio %.2f)", $0) } ?? "")\n".utf8))
    }

    func format(_ v: Double) -> String {
        v >= 100 ? String(format: "%.0f", v) : v >= 1 ? String(format: "%.2f", v) : String(format: "%.4f", v)
    }

    func table() -> String {
        var out = "| figure | value | unit | baseline | ratio |\n|---|---:|---|---|---:|\n"
        for f in figures {
            out +=
                "| \(f.name) | \(format(f.value)) | \(f.unit) | \(f.baseline ?? "") | \(f.ratio.map { String(format: "%.2f", $0) } ?? "") |\n"
        }
        return out
    }

    func json() -> String {
        let figs: [JSONValue] = figures.map { f in
            var o = JSONObject([
                ("name", .string(f.name)), ("value", .number((f.value * 1000).rounded() / 1000)), ("unit", .string(f.unit)),
            ])
            if let b = f.baseline { o["baseline"] = .string(b) }
            if let r = f.ratio { o["ratio"] = .number((r * 1000).rounded() / 1000) }
            return .object(o)
        }
        let machine = JSONObject([
            ("cores", .number(Double(ProcessInfo.processInfo.activeProcessorCount))),
            ("memoryBytes", .number(Double(ProcessInfo.processInfo.physicalMemory))),
            ("os", .string(ProcessInfo.processInfo.operatingSystemVersionString)),
        ])
        let record = JSONObject([
            ("mode", .string(mode)), ("revision", .string(Report.gitRevision())),
            ("date", .string(Timestamp(seconds: Int64(Date().timeIntervalSince1970)).description)),
            ("machine", .object(machine)), ("figures", .array(figs)),
        ])
        return String(decoding: JSON.canonical(.object(record)), as: UTF8.self) + "\n"
    }

    /// The revision of the checkout the harness was built in (found from the executable's path,
    /// so the record is right whatever the working directory).
    static func gitRevision() -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let checkout = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        p.arguments = ["git", "-C", checkout, "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return "unknown" }
        p.waitUntilExit()
        let s = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return s.isEmpty ? "unknown" : s
    }
}

/// Seconds on a monotonic clock.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Seconds of CPU this process has used, on all its threads (user and system).
func cpuTime() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let t = { (v: timeval) in Double(v.tv_sec) + Double(v.tv_usec) / 1e6 }
    return t(usage.ru_utime) + t(usage.ru_stime)
}

/// Runs `body` repeatedly for about `seconds`; returns calls per second.
func rate(seconds: Double, _ body: () -> Void) -> Double {
    var n = 0
    let start = now()
    var elapsed = 0.0
    repeat {
        for _ in 0..<64 { body() }
        n += 64
        elapsed = now() - start
    } while elapsed < seconds
    return Double(n) / elapsed
}

/// `p`-th percentile (0...1) of samples.
func percentile(_ samples: [Double], _ p: Double) -> Double {
    let sorted = samples.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// `body(i)` for i in 0..<n, in order, worked out on all cores one item per iteration (as the
/// ledger's `parallelMap` does).
func parallelMap<R>(_ n: Int, _ body: @Sendable (Int) -> R) -> [R] {
    guard n > 0 else { return [] }
    let out = UnsafeMutableBufferPointer<R?>.allocate(capacity: n)
    out.initialize(repeating: nil)
    defer {
        // deallocate() alone would leak every element: release them first.
        out.deinitialize()
        out.deallocate()
    }
    // Each iteration writes only its own slot, so sharing the buffer is safe.
    nonisolated(unsafe) let slots = out
    DispatchQueue.concurrentPerform(iterations: n) { i in slots[i] = body(i) }
    return out.map { $0! }
}
