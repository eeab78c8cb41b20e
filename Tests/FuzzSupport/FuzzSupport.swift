import CairnCore
import Foundation

/// The seeded generator and the mutations of the parser fuzz suites (a test-support module, like
/// `NIOEmbedded`: only tests depend on it). Every suite prints its seed;
/// `CAIRN_FUZZ_SEED=<n> swift test --filter Fuzz` replays a run. Work is bounded by iteration
/// counts, never by the clock.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform-enough integer in `0..<n` (0 when `n <= 0`).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    public mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }
}

public enum Fuzz {
    /// `CAIRN_FUZZ_SEED` when set, else the suite's own default.
    public static func seed(_ fallback: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["CAIRN_FUZZ_SEED"].flatMap { UInt64($0) } ?? fallback
    }

    /// Byte sequences that are not UTF-8: an overlong, an encoded surrogate, a code point above
    /// U+10FFFF, a lone continuation byte, a truncated sequence, bytes that never occur.
    public static let invalidUTF8: [[UInt8]] = [
        [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xff], [0xfe],
    ]

    /// One to four random edits: flip a bit, overwrite or insert an interesting byte or token,
    /// insert random bytes or invalid UTF-8, delete or duplicate a span, truncate.
    public static func mutate(_ input: [UInt8], tokens: [[UInt8]], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0...rng.below(4) {
            let at = rng.below(b.count + 1)
            switch rng.below(10) {
            case 0 where !b.isEmpty: b[rng.below(b.count)] ^= UInt8(1) << UInt8(rng.below(8))
            case 1 where !b.isEmpty: b[rng.below(b.count)] = rng.pick(rng.pick(tokens) + [0])
            case 2, 3: b.insert(contentsOf: rng.pick(tokens), at: at)
            case 4: b.insert(contentsOf: (0..<1 + rng.below(4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 5: b.insert(contentsOf: rng.pick(invalidUTF8), at: at)
            case 6 where !b.isEmpty:
                let start = rng.below(b.count)
                b.removeSubrange(start..<min(b.count, start + 1 + rng.below(8)))
            case 7 where !b.isEmpty:
                let start = rng.below(b.count)
                let span = Array(b[start..<min(b.count, start + 1 + rng.below(32))])
                b.insert(contentsOf: span, at: rng.below(b.count + 1))
            case 8: b = Array(b.prefix(rng.below(b.count + 1)))
            default: if !b.isEmpty { b.swapAt(rng.below(b.count), rng.below(b.count)) }
            }
        }
        return b
    }

    /// The lines of `bytes`, each with its newline (the last one may lack it).
    public static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        for b in bytes {
            current.append(b)
            if b == 0x0a {
                out.append(current)
                current = []
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Deletes, duplicates, swaps or moves whole lines.
    public static func mutateLines(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var l = lines(input)
        guard !l.isEmpty else { return input }
        let i = rng.below(l.count)
        let j = rng.below(l.count)
        switch rng.below(4) {
        case 0: l.remove(at: i)
        case 1: l.insert(l[i], at: j)
        case 2: l.swapAt(i, j)
        default: l.insert(l.remove(at: i), at: j)
        }
        return l.flatMap { $0 }
    }
}

// MARK: Structure-aware JSON mutations

extension Fuzz {
    /// Paths to every value in `value`, as member or element indices.
    public static func paths(_ value: JSONValue, _ prefix: [Int] = []) -> [[Int]] {
        switch value {
        case .array(let a): return [prefix] + a.indices.flatMap { paths(a[$0], prefix + [$0]) }
        case .object(let o): return [prefix] + o.members.indices.flatMap { paths(o.members[$0].value, prefix + [$0]) }
        default: return [prefix]
        }
    }

    public static func get(_ value: JSONValue, _ path: ArraySlice<Int>) -> JSONValue {
        guard let i = path.first else { return value }
        switch value {
        case .array(let a): return get(a[i], path.dropFirst())
        case .object(let o): return get(o.members[i].value, path.dropFirst())
        default: return value
        }
    }

    public static func set(_ value: inout JSONValue, _ path: ArraySlice<Int>, _ new: JSONValue) {
        guard let i = path.first else {
            value = new
            return
        }
        switch value {
        case .array(var a):
            set(&a[i], path.dropFirst(), new)
            value = .array(a)
        case .object(var o):
            set(&o.members[i].value, path.dropFirst(), new)
            value = .object(o)
        default: break
        }
    }

    /// Edits the array or object at `path` in place with `edit`, which gets its elements as
    /// (key, value) pairs (key nil for an array).
    public static func editContainer(
        _ value: inout JSONValue, _ path: ArraySlice<Int>, _ edit: (inout [(key: String?, value: JSONValue)]) -> Void
    ) {
        var target = get(value, path)
        switch target {
        case .array(let a):
            var items = a.map { (key: String?.none, value: $0) }
            edit(&items)
            target = .array(items.map(\.value))
        case .object(var o):
            var items = o.members.map { (key: Optional($0.key), value: $0.value) }
            edit(&items)
            // Keys may now repeat: `JSONObject.members` is written directly, and `write` (not
            // `JSON.canonical`, which traps on them) writes the result.
            o.members = items.map { (key: $0.key ?? "", value: $0.value) }
            target = .object(o)
        default: return
        }
        set(&value, path, target)
    }

    /// `value` as compact JSON in member order, repeated keys and all.
    public static func write(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += JSON.canonical(.string(m.key))
                out.append(UInt8(ascii: ":"))
                write(m.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        default: out += JSON.canonical(value)
        }
    }

    /// Values that break assumptions: huge and fractional numbers, a long string, empty and deep
    /// containers, strings that look like other fields.
    public static let oddValues: [JSONValue] = [
        .number(1e300), .number(-1), .number(0.5), .number(9_007_199_254_740_992), .number(Double(Int64.max)), .null, .bool(true),
        .string(""), .string(String(repeating: "x", count: 70_000)), .string("\u{0}"), .array([]), .object(JSONObject()),
        .string("2026-02-30T00:00:00Z"), .string("-1.00"), .string("99999999999999999999.99"), .string("all(payer"),
        (0..<200).reduce(JSONValue.null) { inner, _ in .array([inner]) },
    ]

    /// One structure-aware edit of a JSON document: delete, duplicate, move or swap members and
    /// elements, put another field's value or an odd value in place of one, rename a key to
    /// another's, add an unknown member.
    public static func mutateTree(_ value: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        var v = value
        // One walk: every path, the non-empty containers among them, and every member's key.
        var all: [[Int]] = []
        var containers: [[Int]] = []
        var keys: [String] = []
        func walk(_ value: JSONValue, _ path: [Int]) {
            all.append(path)
            switch value {
            case .array(let a):
                if !a.isEmpty { containers.append(path) }
                for (i, e) in a.enumerated() { walk(e, path + [i]) }
            case .object(let o):
                if !o.members.isEmpty { containers.append(path) }
                for (i, m) in o.members.enumerated() {
                    keys.append(m.key)
                    walk(m.value, path + [i])
                }
            default: break
            }
        }
        walk(value, [])
        let path = rng.pick(all)
        switch rng.below(8) {
        case 0 where !containers.isEmpty:
            let c = rng.pick(containers)
            var r = rng
            editContainer(&v, c[...]) { items in items.remove(at: r.below(items.count)) }
            rng = r
        case 1 where !containers.isEmpty:
            let c = rng.pick(containers)
            var r = rng
            editContainer(&v, c[...]) { items in items.insert(items[r.below(items.count)], at: r.below(items.count + 1)) }
            rng = r
        case 2 where !containers.isEmpty:
            let c = rng.pick(containers)
            var r = rng
            editContainer(&v, c[...]) { items in items.swapAt(r.below(items.count), r.below(items.count)) }
            rng = r
        case 3:
            let other = rng.pick(all)
            guard !path.starts(with: other), !other.starts(with: path) else { break }
            set(&v, path[...], get(value, other[...]))
            set(&v, other[...], get(value, path[...]))
        case 4: set(&v, path[...], get(value, rng.pick(all)[...]))
        case 5: set(&v, path[...], rng.pick(oddValues))
        case 6 where !keys.isEmpty && !containers.isEmpty:
            let c = rng.pick(containers)
            let key = rng.pick(keys)
            var r = rng
            editContainer(&v, c[...]) { items in
                let i = r.below(items.count)
                if items[i].key != nil { items[i].key = key }
            }
            rng = r
        default:
            let c = containers.isEmpty ? [] : rng.pick(containers)
            let key = rng.chance(2) ? "unknown" : rng.pick(keys + ["x"])
            var r = rng
            editContainer(&v, c[...]) { items in
                items.insert((key: items.first?.key == nil ? nil : key, value: r.pick(oddValues)), at: r.below(items.count + 1))
            }
            rng = r
        }
        return v
    }
}
