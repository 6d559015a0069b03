/// Cyrillic and Greek letters that look like Latin ones (from Unicode's confusables data, restricted to the
/// unambiguous single-letter cases), upper and lower case.
enum Confusables {
    static let toLatin: [UInt32: UInt8] = {
        var t: [UInt32: UInt8] = [:]
        let pairs: [(UInt32, Character)] = [
            // Cyrillic capitals
            (0x0410, "A"), (0x0412, "B"), (0x0415, "E"), (0x041A, "K"), (0x041C, "M"), (0x041D, "H"), (0x041E, "O"),
            (0x0420, "P"), (0x0421, "C"), (0x0422, "T"), (0x0423, "Y"), (0x0425, "X"), (0x0405, "S"), (0x0406, "I"),
            (0x0408, "J"), (0x04C0, "I"), (0x051A, "Q"), (0x051C, "W"), (0x04AE, "Y"), (0x0417, "3"),
            // Cyrillic small
            (0x0430, "a"), (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
            (0x0455, "s"), (0x0456, "i"), (0x0458, "j"), (0x0501, "d"), (0x04BB, "h"), (0x051B, "q"), (0x051D, "w"),
            (0x04CF, "l"), (0x0432, "b"), (0x043A, "k"), (0x043C, "m"), (0x043D, "h"), (0x0442, "t"), (0x044C, "b"),
            (0x0457, "i"), (0x0491, "r"),
            // Greek capitals
            (0x0391, "A"), (0x0392, "B"), (0x0395, "E"), (0x0396, "Z"), (0x0397, "H"), (0x0399, "I"), (0x039A, "K"),
            (0x039C, "M"), (0x039D, "N"), (0x039F, "O"), (0x03A1, "P"), (0x03A4, "T"), (0x03A5, "Y"), (0x03A7, "X"),
            // Greek small
            (0x03BF, "o"), (0x03B1, "a"), (0x03B9, "i"), (0x03BA, "k"), (0x03BD, "v"), (0x03C1, "p"), (0x03C4, "t"),
            (0x03C5, "u"), (0x03C7, "x"), (0x03F2, "c"), (0x03B5, "e"), (0x03F3, "j"),
            // Latin lookalikes outside ASCII that NFKC keeps
            (0x0131, "i"), (0x0269, "i"), (0x01C0, "l"), (0x2170, "i"),
        ]
        for (scalar, c) in pairs { t[scalar] = c.asciiValue! }
        return t
    }()

    enum Script { case latin, cyrillic, greek, other }

    @inline(__always)
    static func script(_ v: UInt32) -> Script {
        if v < 0x80 { return ASCII.isAlpha(UInt8(v)) ? .latin : .other }
        if (0x00C0...0x024F).contains(v) || (0x1E00...0x1EFF).contains(v) { return .latin }
        if (0x0400...0x052F).contains(v) { return .cyrillic }
        if (0x0370...0x03FF).contains(v) { return .greek }
        return .other
    }
}
