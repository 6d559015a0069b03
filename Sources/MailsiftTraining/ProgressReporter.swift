/// Where a long pass over many messages reports how far it got (the command line draws a bar; tests and
/// libraries pass none). Called from several threads.
public protocol ProgressReporter: Sendable {
    func advance(by n: Int)
    /// The pass is over.
    func finish()
}
