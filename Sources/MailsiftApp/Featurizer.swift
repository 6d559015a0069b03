import Foundation
import MailsiftCore

/// Parses and featurises many messages on every core. A message that cannot be parsed becomes an example
/// with no features (scored by the bias alone) and is counted.
public enum Featurizer {
    public struct Item: Sendable {
        public var features: SparseFeatures
        /// The ``MetadataFeature`` columns (tree stage), when asked for; all missing for a message that
        /// could not be parsed.
        public var metadata: [Float] = []
        /// The Message-ID, or the corpus id when there is none.
        public var key: String
        public var parsed: Bool
    }

    public static func featurize(
        _ messages: [CorpusMessage], configuration: FeatureConfiguration, metadata: Bool = false, progress: ProgressBar? = nil
    ) -> [Item] {
        let extractor = FeatureExtractor(configuration: configuration)
        let columns = MetadataFeatureExtractor()
        let workers = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let chunk = max((messages.count + workers * 8 - 1) / (workers * 8), 1)
        let chunks = (messages.count + chunk - 1) / chunk
        let lock = NSLock()
        nonisolated(unsafe) var items = [Item?](repeating: nil, count: messages.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var scratch = extractor.makeScratch()
            var local: [(Int, Item)] = []
            for i in (c * chunk)..<min((c + 1) * chunk, messages.count) {
                let m = messages[i]
                var features = SparseFeatures()
                var key = m.corpus + "/" + m.id
                var parsed = false
                var row: [Float] = metadata ? [Float](repeating: .nan, count: MetadataFeature.allCases.count) : []
                if let a = try? extractor.analyze(m.bytes) {
                    extractor.features(of: a, scratch: &scratch, into: &features)
                    if metadata { columns.values(of: a, into: &row) }
                    if let id = a.message.messageID, !id.isEmpty { key = id }
                    parsed = true
                }
                local.append((i, Item(features: features, metadata: row, key: key, parsed: parsed)))
            }
            lock.lock()
            for (i, item) in local { items[i] = item }
            lock.unlock()
            progress?.advance(by: local.count)
        }
        progress?.finish()
        return items.map { $0! }
    }
}
