/// Member and key names follow C2SP signed-note: non-empty, no whitespace, no `+`.
/// Cairn also requires them to be printable ASCII so that they sort and compare by bytes.
public enum KeyName {
    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= 255 else { return false }
        return utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "+") }
    }
}
