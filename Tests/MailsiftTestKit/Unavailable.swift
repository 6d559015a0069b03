/// A server a test needs cannot be started here (not installed, or it failed to initialise).
public struct Unavailable: Error, CustomStringConvertible {
    public var description: String
}
