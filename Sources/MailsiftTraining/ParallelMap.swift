import Foundation

/// Maps a collection on every core in chunks (eight per core, for balance), each chunk with its own
/// scratch state, and returns the results in order. Advances `progress` chunk by chunk.
public enum ParallelMap {
    public static func map<Element: Sendable, Scratch, Result>(
        _ elements: [Element], progress: (any ProgressReporter)?, makeScratch: () -> Scratch, _ body: (Element, inout Scratch) -> Result
    ) -> [Result] {
        let workers = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let chunk = max((elements.count + workers * 8 - 1) / (workers * 8), 1)
        let chunks = (elements.count + chunk - 1) / chunk
        let lock = NSLock()
        nonisolated(unsafe) var results = [Result?](repeating: nil, count: elements.count)
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(makeScratch) { makeScratch in
                // concurrentPerform returns only when every iteration has, so the closures do not outlive this call.
                nonisolated(unsafe) let body = body
                nonisolated(unsafe) let makeScratch = makeScratch
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    var scratch = makeScratch()
                    var local: [(Int, Result)] = []
                    for i in (c * chunk)..<min((c + 1) * chunk, elements.count) { local.append((i, body(elements[i], &scratch))) }
                    lock.lock()
                    for (i, r) in local { results[i] = r }
                    lock.unlock()
                    progress?.advance(by: local.count)
                }
            }
        }
        progress?.finish()
        return results.map { $0! }
    }
}
