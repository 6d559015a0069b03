import MailsiftCore

/// Times whole passes over a corpus until a minimum time has passed (at least three passes) and keeps the
/// median pass, which a shared machine's noise moves least. Used by every `bench` command.
enum PassTimer {
    /// The same for a pass that awaits (the classify benchmark with SPF, whose DNS is asynchronous).
    static func medianPass(minimumSeconds: Double, _ pass: () async -> Void) async -> (seconds: Double, passes: Int) {
        let clock = ContinuousClock()
        var passes: [Double] = []
        var elapsed = 0.0
        repeat {
            let start = clock.now
            await pass()
            let seconds = (clock.now - start).seconds
            passes.append(seconds)
            elapsed += seconds
        } while elapsed < minimumSeconds || passes.count < 3
        return (passes.sorted()[passes.count / 2], passes.count)
    }

    static func medianPass(minimumSeconds: Double, _ pass: () -> Void) -> (seconds: Double, passes: Int) {
        let clock = ContinuousClock()
        var passes: [Double] = []
        var elapsed = 0.0
        repeat {
            let start = clock.now
            pass()
            let seconds = (clock.now - start).seconds
            passes.append(seconds)
            elapsed += seconds
        } while elapsed < minimumSeconds || passes.count < 3
        return (passes.sorted()[passes.count / 2], passes.count)
    }
}
