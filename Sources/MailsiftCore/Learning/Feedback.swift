/// A user's word on a message: spam or not, and when they said it. Identified by message, user and time,
/// so the same report sent twice is stored once, and a user who changes their mind leaves both reports
/// (the joiner reads the one in force at its cut-off).
public struct Feedback: Sendable, Hashable, Codable {
    public enum Label: String, Sendable, Hashable, Codable, CaseIterable {
        case spam, ham
    }

    /// The message's key (``MessageKey``): its Message-ID, or a hash of its bytes.
    public var messageID: String
    public var user: String
    public var label: Label
    /// When the user gave it (Unix seconds).
    public var time: Int64

    public init(messageID: String, user: String, label: Label, time: Int64) {
        self.messageID = messageID
        self.user = user
        self.label = label
        self.time = time
    }

    /// Why a report cannot be stored.
    public enum Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        case emptyMessageID, emptyUser, tooLong(field: String, limit: Int)
        /// A report's time outside the window a live report can have (``validate(receivedAt:)``).
        case timeOutOfRange(Int64)

        public var description: String {
            switch self {
            case .emptyMessageID: "the message id is empty"
            case .emptyUser: "the user is empty"
            case .tooLong(let field, let limit): "\(field) is longer than \(limit) bytes"
            case .timeOutOfRange(let t): "time \(t) is not within \(Feedback.maxAgeDays) days before now or a day after"
            }
        }
    }

    /// Checks the fields a store keys on.
    public func validate() throws(Invalid) {
        if messageID.isEmpty { throw .emptyMessageID }
        if user.isEmpty { throw .emptyUser }
        if messageID.utf8.count > 998 { throw .tooLong(field: "message id", limit: 998) }
        if user.utf8.count > 320 { throw .tooLong(field: "user", limit: 320) }
    }

    /// Oldest a report given live may be, in days (a user marks mail they still have).
    public static let maxAgeDays: Int64 = 366

    /// The checks of ``validate()``, and for a report received live at `now` (Unix seconds) a time no more
    /// than ``maxAgeDays`` before it nor a day after (clocks differ), so that a client cannot store reports
    /// dated anywhere in the 64-bit range (the joiner's windows and retention read the time).
    public func validate(receivedAt now: Int64) throws(Invalid) {
        try validate()
        guard time >= now - Self.maxAgeDays * 86_400, time <= now + 86_400 else { throw .timeOutOfRange(time) }
    }
}
