/// Why a message could not be parsed at all.
///
/// Almost every defect is tolerated and reported through ``ParseFlags`` instead; these errors are the
/// few cases where no meaningful result exists.
public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input holds no bytes (or only whitespace and an mbox `From ` line).
    case emptyMessage
    /// The input is larger than ``ParseLimits/maxMessageBytes``.
    case messageTooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .emptyMessage:
            return "empty message: no header or body bytes"
        case .messageTooLarge(let size, let limit):
            return "message too large: \(size) bytes, limit \(limit)"
        }
    }
}
